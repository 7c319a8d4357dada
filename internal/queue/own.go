package queue

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// holding is what a Worker knows of the entries pending under its consumer:
// those it holds (read, and not yet acknowledged or settled in Redis), and
// the acknowledgements and settles that failed, to retry. An entry pending
// under the worker that it does not hold was delivered by a fetch whose
// reply it never got (the connection dropped, and the client sent the
// pipeline again): recoverOwn hands it back.
type holding struct {
	mu      sync.Mutex
	held    map[heldKey]struct{}
	retries []func(context.Context) error // failed acks and settles
}

type heldKey struct {
	p     *part
	entry string
}

// hold records that w holds the deliveries of list.
func (w *Worker) hold(list []*delivery) {
	w.own.mu.Lock()
	for _, d := range list {
		w.own.held[heldKey{d.p, d.entry}] = struct{}{}
	}
	w.own.mu.Unlock()
}

// unhold records that the entries of list are settled in Redis.
func (w *Worker) unhold(list ...*delivery) {
	w.own.mu.Lock()
	for _, d := range list {
		delete(w.own.held, heldKey{d.p, d.entry})
	}
	w.own.mu.Unlock()
}

// retryLater queues f, an acknowledgement or settle that failed, for the
// reclaimer to retry every Heartbeat until it succeeds; its entries stay
// held meanwhile. Giving up would strand them: pending under a live
// worker, no one would ever run or settle them.
func (w *Worker) retryLater(f func(context.Context) error) {
	w.own.mu.Lock()
	w.own.retries = append(w.own.retries, f)
	w.own.mu.Unlock()
}

// retryFailed retries the failed acknowledgements and settles, keeping
// those that fail again.
func (w *Worker) retryFailed(ctx context.Context) {
	w.own.mu.Lock()
	todo := w.own.retries
	w.own.retries = nil
	w.own.mu.Unlock()
	if len(todo) == 0 {
		return
	}
	var failed []func(context.Context) error
	for _, f := range todo {
		if err := f(ctx); err != nil {
			failed = append(failed, f)
		}
	}
	if len(failed) > 0 {
		w.log.Warn("acknowledgements or settles still failing; will retry", "failed", len(failed))
		w.own.mu.Lock()
		w.own.retries = append(failed, w.own.retries...)
		w.own.mu.Unlock()
	} else {
		w.log.Info("failed acknowledgements and settles went through", "count", len(todo))
	}
}

// ownIdle is how long an entry must have been pending under this worker,
// without the worker holding it, before recoverOwn hands it back: long
// enough that a batch just read, not yet recorded as held, is never
// touched. It makes the recovery bound WorkerTTL + Heartbeat, as for a
// dead worker's tasks.
func (w *Worker) ownIdle() time.Duration { return w.cfg.WorkerTTL }

// recoverOwn hands back the entries of p pending under this worker that it
// does not hold: a fetch delivered them but the worker never got the
// reply. They go back to the front of their lanes without counting an
// interruption: they never ran.
func (w *Worker) recoverOwn(ctx context.Context, p *part) error {
	pending, err := w.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
		Stream: p.k.stream, Group: group, Idle: w.ownIdle(), Start: "-", End: "+", Count: 1000, Consumer: w.id,
	}).Result()
	if err != nil || len(pending) == 0 {
		return err
	}
	args := []any{p.k.base, group, w.id, w.ownIdle().Milliseconds(), time.Now().UnixMilli(), w.cfg.DeadMaxLen, w.deadMaxAge(), "0"}
	w.own.mu.Lock()
	for _, e := range pending {
		if _, held := w.own.held[heldKey{p, e.ID}]; !held {
			args = append(args, e.ID)
		}
	}
	w.own.mu.Unlock()
	if len(args) == 8 {
		return nil
	}
	n, err := reclaimScript.Run(ctx, w.rdb, []string{p.k.stream}, args...).Int()
	if err != nil {
		return err
	}
	w.log.Warn("handed back tasks delivered to this worker whose delivery it never received (a reply lost to a reconnect?)", "queue", p.queue, "tasks", n)
	select {
	case w.freed <- struct{}{}:
	default:
	}
	return nil
}
