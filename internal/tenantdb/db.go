package tenantdb

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is one database as one task sees it, switched to the task's search
// path. Its query methods are in query.go. It is valid only while the task
// runs: Scope.Finish closes it.
type DB struct {
	alias string
	pool  *pgxpool.Pool
	path  string // search_path value, quoted
	perTx bool   // one transaction per task (DBTransaction)

	// execMode is the pool's pgx.QueryExecMode, read once when the pools
	// open: pgx's Conn.Config copies the whole configuration per call.
	execMode pgx.QueryExecMode

	mu     sync.Mutex
	tx     *tenantTx // perTx: the task's transaction, once begun
	err    error     // perTx: why it could not begin
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
func (d *DB) track(x abandoner) {
	d.mu.Lock()
	if d.open == nil {
		d.open = make(map[abandoner]struct{})
	}
	d.open[x] = struct{}{}
	d.mu.Unlock()
}

// untrack forgets x, which has ended.
func (d *DB) untrack(x abandoner) {
	if d == nil {
		return
	}
	d.mu.Lock()
	delete(d.open, x)
	d.mu.Unlock()
}

// Alias returns the database alias, as declared by the task.
func (d *DB) Alias() string { return d.alias }

// finish ends what the task left open, then commits (ok) or rolls back
// the task's transaction, if any. It returns the commit's error.
func (d *DB) finish(ok bool) error {
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

func (d *DB) wrap(err error) error {
	return fmt.Errorf("tenantgen: database %q: %w", d.alias, err)
}

// acquire takes a connection for one statement in DBStatement mode.
func (d *DB) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	c, err := d.pool.Acquire(ctx)
	if err != nil {
		return nil, d.wrap(err)
	}
	return c, nil
}

// batch returns a batch that sets the tenant's search_path, then runs qs.
func (d *DB) batch(qs ...*pgx.QueuedQuery) *pgx.Batch {
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, 1+len(qs))}
	b.Queue(setPathSQL, d.path)
	b.QueuedQueries = append(b.QueuedQueries, qs...)
	return b
}
