package tenantdb

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// txState is shared by a transaction and its savepoints.
type txState struct {
	conn  *pgxpool.Conn
	dirty atomic.Bool // a statement may have set search_path for the session
}

// tenantTx is a transaction on the search_path. Ending the outermost one
// gives its connection back, reset (again, after Commit's reset) if a
// statement may have changed search_path for the session.
type tenantTx struct {
	db *DB // set for a transaction that the task began
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
		// it with BEGIN (see DB.taskTxWith).
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

// Commit commits the transaction. Committing the outermost one after a
// statement that may have set search_path for the session resets it
// first, in the transaction: the change then never outlives it, even
// behind a transaction pooler, which hands the server connection to
// another client at COMMIT, before any RESET sent after it.
func (t *tenantTx) Commit(ctx context.Context) error {
	if !t.nested && t.state.dirty.Load() {
		if _, err := t.Tx.Exec(ctx, "reset search_path"); err != nil {
			t.Tx.Rollback(ctx)
			t.end()
			return err
		}
	}
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
