package runtime

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tenantgen/tenantgen/internal/outbox"
	"github.com/tenantgen/tenantgen/internal/queue"
)

// TxEnqueuer enqueues tasks inside a database transaction: it writes them
// into the outbox table of the shared schema (templates/003_outbox.sql)
// through the transaction, so that they are queued if and only if it
// commits, and a relay (Config.Outbox) moves them to Redis then. It is an
// Enqueuer, so generated Enqueue functions take it. Get one with App.Tx or
// App.TaskTx; it is valid while its transaction is.
//
// Each task is built as Enqueue builds it, at the call: the tenant from
// ctx, its ID, its signature and Config.EnqueueMiddleware. Two things
// differ: a unique task's duplicate is found when the relay queues it, so
// the duplicate is dropped then (and logged) instead of being reported to
// the caller with ErrDuplicate; and its unique window starts then.
type TxEnqueuer struct {
	a       *App
	x       outbox.Execer
	enqueue EnqueueFunc
}

// Tx returns the Enqueuer that writes tasks into the outbox through tx,
// which must be a transaction on the database that holds the outbox table
// (see CreateOutboxTable). A savepoint (tx.Begin) works too: rolling it
// back drops only the tasks enqueued through it.
//
//	tx, err := pool.Begin(ctx)
//	...
//	_, err = tx.Exec(ctx, "insert into invoices ...")
//	_, err = billing.EnqueueSendInvoice(ctx, app.Tx(tx), args)
//	err = tx.Commit(ctx) // SendInvoice is queued only now
func (a *App) Tx(tx pgx.Tx) *TxEnqueuer { return a.txEnqueuer(tx) }

// TaskTx returns the Enqueuer that writes tasks into the outbox through
// the running task's transaction on database alias (DBMode DBTransaction):
// the child tasks it enqueues are queued only if the task succeeds, and a
// failed attempt's are rolled back with its transaction, so a retry leaves
// no orphans. The outbox must be in that database's shared schema.
func (a *App) TaskTx(ctx context.Context, alias string) (*TxEnqueuer, error) {
	if a.cfg.DBMode != DBTransaction {
		return nil, errors.New("tenantgen: TaskTx needs Config.DBMode DBTransaction, where a task's statements share one transaction; in DBStatement mode begin one with db.Begin(ctx) and pass it to App.Tx")
	}
	db, err := DB(ctx, alias)
	if err != nil {
		return nil, err
	}
	return a.txEnqueuer(db), nil
}

// txEnqueuer returns the TxEnqueuer that inserts through x.
func (a *App) txEnqueuer(x outbox.Execer) *TxEnqueuer {
	e := &TxEnqueuer{a: a, x: x}
	e.enqueue = a.chainEnqueue(e.write)
	return e
}

// Enqueue writes req into the outbox and returns the new task's ID.
func (e *TxEnqueuer) Enqueue(ctx context.Context, req Request) (TaskID, error) {
	return enqueueOne(ctx, e.EnqueueMany, req)
}

// EnqueueMany writes reqs into the outbox in one statement and returns
// their IDs, in order. Invalid requests are reported in a *BatchError; the
// others are written all the same. Any other error comes from the
// database, and leaves the transaction aborted: roll it back.
func (e *TxEnqueuer) EnqueueMany(ctx context.Context, reqs []Request) ([]TaskID, error) {
	return e.enqueue(ctx, reqs)
}

// write is the innermost EnqueueFunc of a TxEnqueuer.
func (e *TxEnqueuer) write(ctx context.Context, reqs []Request) ([]TaskID, error) {
	if t, ok := TaskTenant(ctx); ok && listedFrom(ctx) == nil {
		// Inside a task, its tenant was resolved as ready when the task
		// started: its child tasks need no lookup, which would take a
		// connection beside the one the task's transaction holds, from a
		// pool whose connections the running tasks may all hold.
		ctx = withListed(ctx, map[string]bool{t.ID: true})
	}
	var rows outbox.Rows
	ids, bad := e.a.prepare(ctx, reqs, func(_ int, t queue.Prepared) { rows.Add((*outbox.Task)(&t)) })
	if rows.Len() > 0 {
		if err := e.a.outbox.Insert(ctx, e.x, &rows); err != nil {
			if errors.Is(err, outbox.ErrNoTable) {
				return nil, fmt.Errorf("tenantgen: transactional enqueue: %w (create it with App.CreateOutboxTable, or apply templates/003_outbox.sql in the shared schema; is the transaction on the outbox's database?)", err)
			}
			return nil, fmt.Errorf("tenantgen: transactional enqueue: %w", err)
		}
	}
	return batchResult(ids, bad)
}
