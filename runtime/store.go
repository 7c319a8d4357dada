package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TenantTable names the table and columns that a TableStore reads. A zero
// field means its default, which matches templates/001_tenants.sql.
type TenantTable struct {
	Schema string // schema of the table; default Config.SharedSchema, else "public"
	Name   string // table; default "tenants"

	ID         string // text column of tenant IDs; default "id"
	SchemaName string // text column of schema names; default "schema_name"
	Display    string // text column of display names; default "name"
	Ready      string // boolean column of ready flags; default "ready"
	Attrs      string // jsonb column of attributes (an object of strings); default "attrs"
}

func (t TenantTable) withDefaults() TenantTable {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&t.Schema, "public")
	def(&t.Name, "tenants")
	def(&t.ID, "id")
	def(&t.SchemaName, "schema_name")
	def(&t.Display, "name")
	def(&t.Ready, "ready")
	def(&t.Attrs, "attrs")
	return t
}

// TableStore is the default TenantStore: it keeps tenants in a table of the
// shared schema, by default the one that templates/001_tenants.sql creates.
type TableStore struct {
	pool *pgxpool.Pool
	one  string // select one tenant by ID
	some string // select the tenants of an array of IDs
	all  string // select every tenant
	save string // upsert a tenant
	del  string // delete a tenant by ID
}

// NewTableStore returns a store that reads and writes tenants in table
// through pool.
func NewTableStore(pool *pgxpool.Pool, table TenantTable) *TableStore {
	t := table.withDefaults()
	id := func(s string) string { return pgx.Identifier{s}.Sanitize() }
	tbl := pgx.Identifier{t.Schema, t.Name}.Sanitize()
	// The schema's existence is checked in the same query: PostgreSQL
	// silently skips a missing schema on search_path, which would let a
	// task of a tenant whose schema was dropped run in the shared schema.
	cols := fmt.Sprintf("%s, %s, %s, %s, coalesce(%s, '{}'), to_regnamespace(%[2]s) is not null",
		id(t.ID), id(t.SchemaName), id(t.Display), id(t.Ready), id(t.Attrs))
	return &TableStore{
		pool: pool,
		one:  fmt.Sprintf("select %s from %s where %s = $1", cols, tbl, id(t.ID)),
		some: fmt.Sprintf("select %s from %s where %s = any($1)", cols, tbl, id(t.ID)),
		all:  fmt.Sprintf("select %s from %s order by %s", cols, tbl, id(t.ID)),
		save: fmt.Sprintf("insert into %s (%s, %s, %s, %s, %s) values ($1, $2, $3, $4, $5) on conflict (%[2]s) do update set %[3]s = excluded.%[3]s, %[4]s = excluded.%[4]s, %[5]s = excluded.%[5]s, %[6]s = excluded.%[6]s",
			tbl, id(t.ID), id(t.SchemaName), id(t.Display), id(t.Ready), id(t.Attrs)),
		del: fmt.Sprintf("delete from %s where %s = $1", tbl, id(t.ID)),
	}
}

// Tenant returns the tenant with the given ID. A tenant whose schema does
// not exist is returned with an error: its tasks must not run.
func (s *TableStore) Tenant(ctx context.Context, id string) (*Tenant, error) {
	t, exists, err := scanTenant(s.pool.QueryRow(ctx, s.one, id))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, fmt.Errorf("%w %q", ErrUnknownTenant, id)
	case err != nil:
		return nil, fmt.Errorf("tenantgen: look up tenant %q: %w", id, err)
	case !exists:
		return nil, missingSchema(t)
	}
	return t, nil
}

// tenantsByID looks the tenants of ids up in one query, for the worker's
// cache, which batches its misses with it (see newTenantCache).
func (s *TableStore) tenantsByID(ctx context.Context, ids []string) (map[string]tenantLookup, error) {
	rows, err := s.pool.Query(ctx, s.some, ids)
	if err != nil {
		return nil, fmt.Errorf("tenantgen: look up %d tenants: %w", len(ids), err)
	}
	res := make(map[string]tenantLookup, len(ids))
	for rows.Next() {
		t, exists, err := scanTenant(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("tenantgen: look up %d tenants: %w", len(ids), err)
		}
		res[t.ID] = tenantLookup{Value: t}
		if !exists {
			res[t.ID] = tenantLookup{Err: missingSchema(t)}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tenantgen: look up %d tenants: %w", len(ids), err)
	}
	for _, id := range ids {
		if _, ok := res[id]; !ok {
			res[id] = tenantLookup{Err: fmt.Errorf("%w %q", ErrUnknownTenant, id)}
		}
	}
	return res, nil
}

// missingSchema is the error of a tenant whose schema does not exist.
func missingSchema(t *Tenant) error {
	return &TenantError{ID: t.ID, Reason: fmt.Sprintf("its schema %q does not exist; create it (App.CreateTenant) or delete the tenant", t.Schema)}
}

// Tenants returns every tenant, ordered by ID. A tenant whose schema does
// not exist is reported not ready.
func (s *TableStore) Tenants(ctx context.Context) ([]*Tenant, error) {
	rows, err := s.pool.Query(ctx, s.all)
	if err != nil {
		return nil, fmt.Errorf("tenantgen: list tenants: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*Tenant, error) {
		t, exists, err := scanTenant(r)
		if t != nil && !exists {
			t.Ready = false
		}
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("tenantgen: list tenants: %w", err)
	}
	return list, nil
}

// SaveTenant inserts t, or updates the tenant with its ID.
func (s *TableStore) SaveTenant(ctx context.Context, t *Tenant) error {
	// JSON text, not the map: in the exec and simple_protocol query modes
	// pgx does not ask the server for the column's type, and cannot encode
	// a map without it, while a string is sent as it is, to be read as the
	// column's type (in the other modes pgx's json codec sends it as is).
	attrs := []byte("{}")
	if len(t.Attrs) > 0 {
		var err error
		if attrs, err = json.Marshal(t.Attrs); err != nil {
			return fmt.Errorf("tenantgen: save tenant %q: encode its attributes: %w", t.ID, err)
		}
	}
	if _, err := s.pool.Exec(ctx, s.save, t.ID, t.Schema, t.Name, t.Ready, string(attrs)); err != nil {
		return fmt.Errorf("tenantgen: save tenant %q: %w", t.ID, err)
	}
	return nil
}

// DeleteTenant deletes the tenant with the given ID.
func (s *TableStore) DeleteTenant(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, s.del, id); err != nil {
		return fmt.Errorf("tenantgen: delete tenant %q: %w", id, err)
	}
	return nil
}

// scanTenant reads a row of the columns of TableStore's queries, and
// whether the tenant's schema exists.
func scanTenant(r pgx.Row) (*Tenant, bool, error) {
	var t Tenant
	var exists bool
	if err := r.Scan(&t.ID, &t.Schema, &t.Name, &t.Ready, &t.Attrs, &exists); err != nil {
		return nil, false, err
	}
	return &t, exists, nil
}
