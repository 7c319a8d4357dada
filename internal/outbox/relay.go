package outbox

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Relay moves committed outbox rows to the Redis queue: in one database
// transaction it deletes a batch of rows, locked with SKIP LOCKED so that
// relays running at once take disjoint batches, writes their tasks with
// Write and commits. When Write fails, the transaction rolls back and the
// rows wait for the next attempt; when the relay dies after Write and
// before its commit, the rows come back, so Write must be idempotent on
// the task ID (queue.Client.Relay is).
//
// Set its fields, then call Run; a Relay must not be copied or changed
// while it runs.
type Relay struct {
	Pool      *pgxpool.Pool
	Table     Table
	BatchSize int           // rows per transaction
	Poll      time.Duration // the wait between looks without a notification
	Listen    bool          // wake on NOTIFY, unless the connection goes through a pooler
	Logger    *slog.Logger

	// Write adds tasks to their queues, adding nothing for a task it
	// added already, and returns the index and holder's ID of each unique
	// task dropped as a duplicate.
	Write func(ctx context.Context, tasks []Task) (map[int]string, error)
}

// maxBackoff caps the pause of a relay after consecutive failures.
const maxBackoff = 5 * time.Second

// holdTimeout is the idle_in_transaction_session_timeout of a relay's
// transaction: a relay hung between Redis and its commit gives its rows
// back after this long, well within the dedup window, so the relay that
// takes them next adds nothing twice.
const holdTimeout = "30s"

// beginRelay begins a relay's transaction.
const beginRelay = "begin; set local idle_in_transaction_session_timeout = '" + holdTimeout + "'"

// Run relays the outbox until ctx is done, waking on the outbox's
// notifications (with Listen) or every Poll, and straight away while
// batches come back full. It logs failures and backs off, never giving
// up: the rows wait in the outbox meanwhile. It returns nil once ctx is
// done.
func (r *Relay) Run(ctx context.Context) error {
	w := newWaker(ctx, r)
	defer w.close()
	failures := 0
	for {
		n, err := r.Once(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			failures++
			d := backoff(failures)
			r.Logger.Warn("tenantgen: outbox relay failed; the rows wait in the outbox", "err", err, "failures", failures, "retry_in", d)
			if !sleep(ctx, d) {
				return nil
			}
			continue
		}
		if failures > 0 {
			r.Logger.Info("tenantgen: outbox relay recovered", "failures", failures)
			failures = 0
		}
		if n < r.BatchSize {
			w.wait(ctx, r.Poll)
		}
	}
}

// backoff returns the pause after the given number of consecutive
// failures: 100ms doubling up to maxBackoff, less up to a quarter at
// random.
func backoff(failures int) time.Duration {
	d := maxBackoff
	if failures < 7 {
		d = min(100*time.Millisecond<<(failures-1), maxBackoff)
	}
	return d - rand.N(d/4+1)
}

// sleep waits for d or ctx, and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Once relays one batch of at most BatchSize rows and returns how many it
// relayed.
func (r *Relay) Once(ctx context.Context) (int, error) {
	tx, err := r.Pool.BeginTx(ctx, pgx.TxOptions{BeginQuery: beginRelay})
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // after Commit, a no-op
	rows, err := tx.Query(ctx, r.Table.take, r.BatchSize)
	if err != nil {
		return 0, fmt.Errorf("take rows: %w", err)
	}
	type row struct {
		seq int64
		t   Task
	}
	var taken []row
	for rows.Next() {
		seq, t, err := scanTask(rows)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("read rows: %w", err)
		}
		taken = append(taken, row{seq, t})
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("take rows: %w", err)
	}
	if len(taken) == 0 {
		return 0, nil
	}
	// RETURNING has no order: queue the tasks in the order of their inserts.
	slices.SortFunc(taken, func(a, b row) int { return cmp.Compare(a.seq, b.seq) })
	tasks := make([]Task, len(taken))
	for i := range taken {
		tasks[i] = taken[i].t
	}
	dups, err := r.Write(ctx, tasks)
	if err != nil {
		return 0, err
	}
	// The tasks are in Redis: commit even if ctx ended meanwhile, so that
	// a shutdown does not leave their rows to be relayed again.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := tx.Commit(cctx); err != nil {
		return 0, fmt.Errorf("delete the relayed rows: %w (their tasks are queued; the rows come back, and relaying them again adds nothing)", err)
	}
	for i, holder := range dups {
		t := tasks[i]
		r.Logger.Info("tenantgen: outbox relay: unique task dropped, a duplicate of a queued task", "task", t.Name, "id", t.ID, "tenant", t.Tenant, "holder", holder)
	}
	return len(tasks), nil
}
