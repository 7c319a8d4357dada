package runtime

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantgen/tenantgen/internal/tenantdb"
)

// DBMode says how a task's database handles make the tenant's schema
// current. docs/tenancy.md compares the modes.
type DBMode int

const (
	// DBStatement, the default, runs each statement, batch and transaction
	// of a task on its own, with search_path set for it alone (SET LOCAL
	// sent in the same round trip). Statements commit as they run, as on a
	// plain pool. It is safe behind PgBouncer transaction pooling.
	DBStatement DBMode = iota

	// DBTransaction runs all of a task's statements on each database in one
	// transaction, begun on first use with SET LOCAL folded into BEGIN. It
	// commits when the task succeeds and rolls back when it fails, panics or
	// times out, so a retried task starts from a clean slate. It is safe
	// behind PgBouncer transaction pooling. A task holds one connection per
	// database for its whole run.
	DBTransaction
)

func (m DBMode) String() string {
	switch m {
	case DBStatement:
		return "DBStatement"
	case DBTransaction:
		return "DBTransaction"
	}
	return fmt.Sprintf("DBMode(%d)", int(m))
}

// scope is what a running task knows of its App, tenant and databases:
// one context value for all of them.
type scope struct {
	app    *App
	tenant *Tenant // nil for a public task
	dbs    tenantdb.Scope
	// handles wraps each database of dbs, in declared order, so that DB
	// hands out the same *TenantDB every time without allocating.
	handles []TenantDB
}

// newScope returns the scope of a task of tenant with the databases dbs.
func newScope(app *App, tenant *Tenant, dbs tenantdb.Scope) *scope {
	s := &scope{app: app, tenant: tenant, dbs: dbs, handles: make([]TenantDB, dbs.Len())}
	for i := range s.handles {
		s.handles[i].db = s.dbs.DB(i)
	}
	return s
}

type scopeKey struct{}

func scopeFrom(ctx context.Context) *scope {
	s, _ := ctx.Value(scopeKey{}).(*scope)
	return s
}

// DB returns the database with the given alias as the running task sees it:
// every statement runs with the task's tenant schema first on its
// search_path, then the shared schema (only the shared schema in a public
// task). The task must have declared the alias in the dbs= option of its
// //tenant:task directive, or through Config.DefaultDBs.
func DB(ctx context.Context, alias string) (*TenantDB, error) {
	s := scopeFrom(ctx)
	if s == nil {
		return nil, fmt.Errorf("tenantgen: DB(%q) called outside a task: use the pool directly, or run the code as a task", alias)
	}
	i, err := s.dbs.Index(alias)
	if err != nil {
		return nil, err
	}
	return &s.handles[i], nil
}

// TenantDB is a database as one task sees it, switched to the task's
// tenant schema. It has the query methods of a pgx pool. Get one with DB.
// It is valid only while the task runs.
type TenantDB struct {
	db *tenantdb.DB
}

// Alias returns the database alias, as declared by the task.
func (d *TenantDB) Alias() string { return d.db.Alias() }

// Exec runs sql with args and returns its command tag.
func (d *TenantDB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return d.db.Exec(ctx, sql, args...)
}

// Query runs sql with args and returns its rows. Close the rows, or read
// them to the end, to give the connection back.
func (d *TenantDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return d.db.Query(ctx, sql, args...)
}

// QueryRow runs sql with args, which should return at most one row. Errors
// are deferred to the row's Scan.
func (d *TenantDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return d.db.QueryRow(ctx, sql, args...)
}

// SendBatch sends every query of b in one round trip, after setting the
// tenant's search_path. Close the results to give the connection back.
func (d *TenantDB) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return d.db.SendBatch(ctx, b)
}

// Begin starts a transaction on the tenant's schema (in DBTransaction mode,
// a savepoint in the task's transaction). Commit or roll it back to give the
// connection back.
func (d *TenantDB) Begin(ctx context.Context) (pgx.Tx, error) {
	return d.db.Begin(ctx)
}

// CopyFrom copies rows into table with the COPY protocol, in a transaction
// on the tenant's schema. It returns the number of rows copied.
func (d *TenantDB) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	return d.db.CopyFrom(ctx, table, columns, src)
}
