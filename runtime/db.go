package runtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
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

// setPathSQL makes search_path current until the end of the transaction:
// the implicit one of a batch, or the task's.
const setPathSQL = "select set_config('search_path', $1, true)"

// searchPath returns the search_path value for schema, then shared, quoted.
func searchPath(schema, shared string) string {
	if schema == "" || schema == shared {
		return pgx.Identifier{shared}.Sanitize()
	}
	return pgx.Identifier{schema}.Sanitize() + ", " + pgx.Identifier{shared}.Sanitize()
}

// scope is what a running task knows of its tenant and databases.
type scope struct {
	task     string
	tenant   *Tenant // nil for a public task
	declared []string
	dbs      []*TenantDB // one per declared database, in declared order
	pools    map[string]*pgxpool.Pool
}

type scopeKey struct{}

func scopeFrom(ctx context.Context) *scope {
	s, _ := ctx.Value(scopeKey{}).(*scope)
	return s
}

// finish ends the task's use of its databases: in DBTransaction mode it
// commits if ok and rolls back otherwise. It returns the first commit
// error.
func (s *scope) finish(ok bool) error {
	var errs []error
	for _, db := range s.dbs {
		if err := db.finish(ok); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
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
	if i := slices.Index(s.declared, alias); i >= 0 {
		return s.dbs[i], nil
	}
	if _, ok := s.pools[alias]; !ok {
		return nil, fmt.Errorf("tenantgen: task %q asked for database %q, which is not configured: add it to Config.Databases or Config.Pools", s.task, alias)
	}
	return nil, fmt.Errorf("tenantgen: task %q did not declare database %q: add it to the dbs= option of its //tenant:task directive (declared: %s)", s.task, alias, strings.Join(s.declared, ", "))
}

// TenantDB is a database as one task sees it, switched to the task's
// tenant schema. It has the query methods of a pgx pool. Get one with DB.
// It is valid only while the task runs.
type TenantDB struct {
	alias string
	pool  *pgxpool.Pool
	path  string // search_path value, quoted
	mode  DBMode

	// execMode is the pool's pgx.QueryExecMode, read once when the App
	// opens: pgx's Conn.Config copies the whole configuration per call.
	execMode pgx.QueryExecMode

	mu     sync.Mutex
	tx     *tenantTx // DBTransaction: the task's transaction, once begun
	err    error     // DBTransaction: why it could not begin
	closed bool      // the task has finished
	open   map[abandoner]struct{}
}

// abandoner is a transaction, rows or batch results that hold a
// connection. Those that the task leaves open are ended when it finishes,
// so that no connection stays out of its pool.
type abandoner interface{ abandon() }

// errFinished is the error of a database handle used after its task.
var errFinished = errors.New("tenantgen: the task has finished; its database handle is closed")

// track registers x, which holds a connection until it ends.
func (d *TenantDB) track(x abandoner) {
	d.mu.Lock()
	if d.open == nil {
		d.open = make(map[abandoner]struct{})
	}
	d.open[x] = struct{}{}
	d.mu.Unlock()
}

// untrack forgets x, which has ended.
func (d *TenantDB) untrack(x abandoner) {
	if d == nil {
		return
	}
	d.mu.Lock()
	delete(d.open, x)
	d.mu.Unlock()
}

// Alias returns the database alias, as declared by the task.
func (d *TenantDB) Alias() string { return d.alias }

// taskTx returns the task's transaction in DBTransaction mode, beginning it
// on first use, or nil in DBStatement mode.
func (d *TenantDB) taskTx(ctx context.Context) (*tenantTx, error) {
	tx, _, _, err := d.taskTxWith(ctx, "", nil)
	return tx, err
}

// taskTxWith is taskTx for an Exec of sql with args. If it begins the
// transaction, and the connection has sql prepared, it sends BEGIN, the
// switch and the statement in one round trip and reports ran, with the
// statement's result.
func (d *TenantDB) taskTxWith(ctx context.Context, sql string, args []any) (tx *tenantTx, tag pgconn.CommandTag, ran bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.closed:
		return nil, tag, false, errFinished
	case d.mode != DBTransaction:
		return nil, tag, false, nil
	case d.tx != nil || d.err != nil:
		return d.tx, tag, false, d.err
	}
	c, err := d.pool.Acquire(ctx)
	if err != nil {
		d.err = d.wrap(err)
		return nil, tag, false, d.err
	}
	if len(args) == 0 || !d.prepared(c, sql) {
		d.tx, d.err = d.beginOn(ctx, c)
		return d.tx, tag, false, d.err
	}
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	b.Queue(setPathSQL, d.path)
	b.Queue(sql, args...)
	br := c.SendBatch(ctx, b)
	_, err = br.Exec() // begin
	if err == nil {
		_, err = br.Exec() // set_config
	}
	if err == nil {
		tag, err = br.Exec()
	}
	cerr := br.Close()
	if btx := br.Tx(); btx != nil && !btx.Conn().IsClosed() && btx.Conn().PgConn().TxStatus() != 'I' {
		// Begun: the statement's error, if any, fails the task, which
		// rolls the transaction back.
		d.tx = &tenantTx{Tx: btx, state: &txState{conn: c}}
		return d.tx, tag, true, errOr(err, cerr)
	}
	err = errOr(err, cerr)
	if unprepared(c, err, sql) {
		// The statement was not prepared after all: begin the slow way.
		d.tx, d.err = d.beginOn(ctx, c)
		return d.tx, pgconn.CommandTag{}, false, d.err
	}
	release(c, false)
	d.err = d.wrap(err)
	return nil, tag, false, d.err
}

// begin starts a transaction on the tenant's schema, in the round trip of
// BEGIN.
func (d *TenantDB) begin(ctx context.Context) (*tenantTx, error) {
	c, err := d.pool.Acquire(ctx)
	if err != nil {
		return nil, d.wrap(err)
	}
	return d.beginOn(ctx, c)
}

// beginOn is begin on the connection c, which the transaction owns from
// then on.
func (d *TenantDB) beginOn(ctx context.Context, c *pgxpool.Conn) (*tenantTx, error) {
	tx, err := c.BeginTx(ctx, pgx.TxOptions{BeginQuery: "begin; set local search_path to " + d.path})
	if err != nil {
		c.Release()
		return nil, d.wrap(err)
	}
	return &tenantTx{Tx: tx, state: &txState{conn: c}}, nil
}

// finish commits (ok) or rolls back the task's transaction, if any.
func (d *TenantDB) finish(ok bool) error {
	d.mu.Lock()
	tx, open := d.tx, d.open
	d.tx, d.open, d.closed = nil, nil, true
	d.mu.Unlock()
	for x := range open {
		x.abandon()
	}
	if tx == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if ok {
		if err := tx.Commit(ctx); err != nil {
			return d.wrap(fmt.Errorf("commit the task's transaction: %w", err))
		}
		return nil
	}
	tx.Rollback(ctx)
	return nil
}

func (d *TenantDB) wrap(err error) error {
	return fmt.Errorf("tenantgen: database %q: %w", d.alias, err)
}

// acquire takes a connection for one statement in DBStatement mode.
func (d *TenantDB) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	c, err := d.pool.Acquire(ctx)
	if err != nil {
		return nil, d.wrap(err)
	}
	return c, nil
}

// batch returns a batch that sets the tenant's search_path, then runs qs.
func (d *TenantDB) batch(qs ...*pgx.QueuedQuery) *pgx.Batch {
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, 1+len(qs))}
	b.Queue(setPathSQL, d.path)
	b.QueuedQueries = append(b.QueuedQueries, qs...)
	return b
}

// Exec runs sql with args and returns its command tag.
func (d *TenantDB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if tx, tag, ran, err := d.taskTxWith(ctx, sql, args); tx != nil || err != nil {
		if ran || err != nil {
			return tag, err
		}
		return tx.Exec(ctx, sql, args...)
	}
	c, err := d.acquire(ctx)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	if len(args) == 0 {
		// pgx sends a statement without arguments unprepared, with the
		// simple protocol, where the statements of one message share an
		// implicit transaction: SET LOCAL in front of it switches it in
		// its round trip. (The batch below would prepare it under the
		// connection's own search_path, fail, and fall back to a
		// transaction: four round trips, every time.)
		tag, err := c.Exec(ctx, "set local search_path to "+d.path+"; "+sql)
		release(c, setsPath(sql))
		return tag, err
	}
	if d.prepared(c, sql) {
		br := c.SendBatch(ctx, d.batch(&pgx.QueuedQuery{SQL: sql, Arguments: args}))
		_, err := br.Exec()
		var tag pgconn.CommandTag
		if err == nil {
			tag, err = br.Exec()
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if !unprepared(c, err, sql) {
			release(c, setsPath(sql))
			return tag, err
		}
	}
	tx, err := d.beginOn(ctx, c)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := tx.Exec(ctx, sql, args...)
	return tag, endTx(tx, err, []string{sql})
}

// Query runs sql with args and returns its rows. Close the rows, or read
// them to the end, to give the connection back.
func (d *TenantDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if tx, err := d.taskTx(ctx); tx != nil || err != nil {
		if err != nil {
			return nil, err
		}
		return tx.Query(ctx, sql, args...)
	}
	c, err := d.acquire(ctx)
	if err != nil {
		return nil, err
	}
	if d.prepared(c, sql) {
		br := c.SendBatch(ctx, d.batch(&pgx.QueuedQuery{SQL: sql, Arguments: args}))
		_, err := br.Exec()
		if err == nil {
			var rows pgx.Rows
			rows, err = br.Query()
			if err == nil {
				dirty := setsPath(sql)
				r := &ownedRows{Rows: rows, db: d, end: func(error) error {
					err := br.Close()
					release(c, dirty)
					return err
				}}
				d.track(r)
				return r, nil
			}
		}
		br.Close()
		if !unprepared(c, err, sql) {
			release(c, false)
			return nil, err
		}
	}
	tx, err := d.beginOn(ctx, c)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		tx.Rollback(ctx)
		return nil, err
	}
	r := &ownedRows{Rows: rows, db: d, end: func(err error) error { return endTx(tx, err, []string{sql}) }}
	d.track(r)
	return r, nil
}

// QueryRow runs sql with args, which should return at most one row. Errors
// are deferred to the row's Scan.
func (d *TenantDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := d.Query(ctx, sql, args...)
	return &row{rows: rows, err: err}
}

// SendBatch sends every query of b in one round trip, after setting the
// tenant's search_path. Close the results to give the connection back.
func (d *TenantDB) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if tx, err := d.taskTx(ctx); tx != nil || err != nil {
		if err != nil {
			return &errBatch{err}
		}
		return tx.SendBatch(ctx, b)
	}
	c, err := d.acquire(ctx)
	if err != nil {
		return &errBatch{err}
	}
	sqls := make([]string, len(b.QueuedQueries))
	for i, q := range b.QueuedQueries {
		sqls[i] = q.SQL
	}
	if d.prepared(c, sqls...) {
		br := c.SendBatch(ctx, d.batch(b.QueuedQueries...))
		_, err := br.Exec()
		if err == nil {
			r := &batchResults{BatchResults: br, conn: c, dirty: batchSetsPath(b), db: d}
			d.track(r)
			return r
		}
		br.Close()
		if !unprepared(c, err, sqls...) {
			release(c, false)
			return &errBatch{err}
		}
	}
	tx, err := d.beginOn(ctx, c)
	if err != nil {
		return &errBatch{err}
	}
	r := &txBatch{BatchResults: tx.SendBatch(ctx, b), tx: tx, sql: sqls, db: d}
	d.track(r)
	return r
}

// Begin starts a transaction on the tenant's schema (in DBTransaction mode,
// a savepoint in the task's transaction). Commit or roll it back to give the
// connection back.
func (d *TenantDB) Begin(ctx context.Context) (pgx.Tx, error) {
	if tx, err := d.taskTx(ctx); tx != nil || err != nil {
		if err != nil {
			return nil, err
		}
		return tx.Begin(ctx)
	}
	tx, err := d.begin(ctx)
	if err != nil {
		return nil, err
	}
	tx.db = d
	d.track(tx)
	return tx, nil
}

// CopyFrom copies rows into table with the COPY protocol, in a transaction
// on the tenant's schema. It returns the number of rows copied.
func (d *TenantDB) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if tx, err := d.taskTx(ctx); tx != nil || err != nil {
		if err != nil {
			return 0, err
		}
		return tx.CopyFrom(ctx, table, columns, src)
	}
	tx, err := d.begin(ctx)
	if err != nil {
		return 0, err
	}
	n, err := tx.CopyFrom(ctx, table, columns, src)
	if err != nil {
		tx.Rollback(ctx)
		return 0, err
	}
	return n, tx.Commit(ctx)
}

// The one-round-trip batch (set_config, then the statement) works only for
// statements that the connection has already prepared: pgx prepares a
// batch's new statements before running any of it, so under the
// connection's own search_path, where tenant tables do not resolve. A new
// statement therefore first runs in a transaction begun with SET LOCAL,
// which prepares it on the tenant's schema; PostgreSQL re-parses a
// prepared statement whenever search_path has changed since, so later
// tenants get their own tables. preparedKey holds, in each connection's
// CustomData, the statements known to be prepared.
const preparedKey = "tenantgen.prepared"

// maxPrepared bounds the statements remembered per connection; pgx's own
// statement cache holds 512 by default.
const maxPrepared = 1024

// prepared reports whether c has prepared every statement of sqls, or
// needs no preparing at all.
func (d *TenantDB) prepared(c *pgxpool.Conn, sqls ...string) bool {
	switch d.execMode {
	case pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol:
		return true
	case pgx.QueryExecModeDescribeExec:
		return false
	}
	m, _ := c.Conn().PgConn().CustomData()[preparedKey].(map[string]struct{})
	for _, sql := range sqls {
		if _, ok := m[sql]; !ok {
			return false
		}
	}
	return true
}

// remember records that c has prepared sqls.
func remember(c *pgxpool.Conn, sqls ...string) {
	data := c.Conn().PgConn().CustomData()
	m, _ := data[preparedKey].(map[string]struct{})
	if m == nil || len(m) >= maxPrepared {
		m = make(map[string]struct{})
		data[preparedKey] = m
	}
	for _, sql := range sqls {
		m[sql] = struct{}{}
	}
}

// unprepared forgets sqls after a batch failed with err, which pgx answers
// by dropping them from its cache, and reports whether the failure came
// before anything ran because a statement was not prepared after all.
func unprepared(c *pgxpool.Conn, err error, sqls ...string) bool {
	if err == nil {
		return false
	}
	if m, _ := c.Conn().PgConn().CustomData()[preparedKey].(map[string]struct{}); m != nil {
		for _, sql := range sqls {
			delete(m, sql)
		}
	}
	var pre pgx.ErrPreprocessingBatch
	return errors.As(err, &pre) && !c.Conn().IsClosed()
}

// setsPath reports whether sql may change search_path for the session
// (SET search_path, SET SCHEMA, set_config), so that the connection must
// be reset before another user gets it. False positives cost one RESET.
func setsPath(sql string) bool {
	return containsFold(sql, "search_path") || containsFold(sql, "schema")
}

func batchSetsPath(b *pgx.Batch) bool {
	for _, q := range b.QueuedQueries {
		if setsPath(q.SQL) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains the lowercase ASCII word sub,
// ignoring ASCII case, without allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i]|0x20 == sub[0] && strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// release gives c back to its pool, first resetting search_path if dirty.
// A connection that cannot be reset is closed rather than reused.
func release(c *pgxpool.Conn, dirty bool) {
	if dirty && !c.Conn().IsClosed() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := c.Exec(ctx, "reset search_path"); err != nil {
			c.Hijack().Close(ctx)
			return
		}
	}
	c.Release()
}

// ownedRows are rows that hold a connection of their own: closing them,
// or reading past the last row, ends what they belong to (a batch, or a
// transaction) and gives the connection back.
type ownedRows struct {
	pgx.Rows
	db     *TenantDB
	end    func(rowsErr error) error // called once, with the rows' error
	closed bool
	err    error
}

func (r *ownedRows) Next() bool {
	if r.closed {
		return false
	}
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *ownedRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.db.untrack(r)
	r.Rows.Close()
	r.err = r.end(r.Rows.Err())
}

// abandon ends rows that the task left open, as failed.
func (r *ownedRows) abandon() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	r.end(errFinished)
}

func (r *ownedRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// row is the result of QueryRow.
type row struct {
	rows pgx.Rows
	err  error
}

func (r *row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

// batchResults are the results of SendBatch; Close gives the connection
// back.
type batchResults struct {
	db *TenantDB
	pgx.BatchResults
	conn   *pgxpool.Conn
	dirty  bool
	closed bool
}

func (b *batchResults) abandon() { b.Close() }

func (b *batchResults) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	b.db.untrack(b)
	err := b.BatchResults.Close()
	release(b.conn, b.dirty)
	return err
}

// txBatch are the results of a batch run in its own transaction; closing
// them commits it.
type txBatch struct {
	db *TenantDB
	pgx.BatchResults
	tx     *tenantTx
	sql    []string
	closed bool
	err    error
}

func (b *txBatch) abandon() {
	b.closed = true
	endTx(b.tx, errOr(b.BatchResults.Close(), errFinished), nil)
}

// errOr returns err, or def if err is nil.
func errOr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

func (b *txBatch) Close() error {
	if b.closed {
		return b.err
	}
	b.closed = true
	b.db.untrack(b)
	b.err = endTx(b.tx, b.BatchResults.Close(), b.sql)
	return b.err
}

// endTx commits tx if err is nil, else rolls it back, and records that
// the statements sqls, which ran in it, are prepared on its connection.
func endTx(tx *tenantTx, err error, sqls []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err != nil {
		tx.Rollback(ctx)
		return err
	}
	// Before Commit gives the connection back. Prepared statements outlive
	// the transaction, committed or not.
	remember(tx.state.conn, sqls...)
	return tx.Commit(ctx)
}

// errBatch are the results of a batch that could not be sent.
type errBatch struct{ err error }

func (b *errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b *errBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b *errBatch) QueryRow() pgx.Row                { return &row{err: b.err} }
func (b *errBatch) Close() error                     { return b.err }
func (b *errBatch) Tx() pgx.Tx                       { return nil }

// txState is shared by a transaction and its savepoints.
type txState struct {
	conn  *pgxpool.Conn
	dirty atomic.Bool // a statement may have set search_path for the session
}

// tenantTx is a transaction on the tenant's schema. Ending the outermost
// one gives its connection back, reset if a statement may have changed
// search_path for the session.
type tenantTx struct {
	db *TenantDB // set for a transaction that the task began
	pgx.Tx
	state  *txState
	nested bool
}

func (t *tenantTx) mark(sql string) {
	if setsPath(sql) {
		t.state.dirty.Store(true)
	}
}

func (t *tenantTx) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := t.Tx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &tenantTx{Tx: tx, state: t.state, nested: true}, nil
}

func (t *tenantTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	t.mark(sql)
	tag, err := t.Tx.Exec(ctx, sql, args...)
	if err == nil && len(args) > 0 {
		// pgx prepared it, on the tenant's schema: later tasks can send
		// it with BEGIN (see TenantDB.taskTxWith).
		remember(t.state.conn, sql)
	}
	return tag, err
}

func (t *tenantTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	t.mark(sql)
	return t.Tx.Query(ctx, sql, args...)
}

func (t *tenantTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	t.mark(sql)
	return t.Tx.QueryRow(ctx, sql, args...)
}

func (t *tenantTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if batchSetsPath(b) {
		t.state.dirty.Store(true)
	}
	return t.Tx.SendBatch(ctx, b)
}

func (t *tenantTx) Commit(ctx context.Context) error {
	err := t.Tx.Commit(ctx)
	t.end()
	return err
}

func (t *tenantTx) Rollback(ctx context.Context) error {
	err := t.Tx.Rollback(ctx)
	t.end()
	return err
}

// abandon rolls back a transaction that the task left open.
func (t *tenantTx) abandon() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.Rollback(ctx)
}

func (t *tenantTx) end() {
	if t.nested {
		return
	}
	t.db.untrack(t)
	if c := t.state.conn; c != nil {
		t.state.conn = nil
		release(c, t.state.dirty.Load())
	}
}
