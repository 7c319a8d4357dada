package queue

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Run works the queues until ctx is cancelled, then shuts down gracefully:
// it stops reading, hands back the tasks it read but did not start, and
// waits for running tasks (see drain). It returns nil after a clean
// shutdown.
func (w *Worker) Run(ctx context.Context) error {
	rdb := w.rdb
	for _, p := range w.parts {
		err := rdb.XGroupCreateMkStream(ctx, p.k.stream, group, "0").Err()
		if err != nil && !isBusyGroup(err) {
			return fmt.Errorf("tenantgen: create consumer group of queue %q: %w", p.queue, err)
		}
	}
	if err := w.beat(ctx); err != nil {
		return fmt.Errorf("tenantgen: register worker: %w", err)
	}
	w.setupReaders()
	w.log.Info("worker started", "queues", w.queues, "concurrency", w.cfg.Concurrency)

	// Tasks outlive ctx: shutdown gives them ShutdownGrace (see drain).
	taskCtx, cancelTasks := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelTasks()

	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var bgWG sync.WaitGroup
	bgWG.Go(func() { w.heartbeats(bg) })
	bgWG.Go(func() { w.reclaimer(bg) })
	bgWG.Go(func() { w.cancelListener(bg) })
	for _, p := range w.parts {
		bgWG.Go(func() { w.forwarder(bg, p) })
	}
	var completerWG sync.WaitGroup
	completerWG.Go(w.completer)

	var handlers sync.WaitGroup
	for range w.cfg.Concurrency {
		handlers.Go(func() {
			for d := range w.work {
				w.process(taskCtx, d)
			}
		})
	}

	w.fetch(ctx) // returns when ctx is cancelled
	w.closeReaders()
	w.stopping.Store(true)
	close(w.work)

	err := w.drain(&handlers, cancelTasks)
	w.stopAcks()
	completerWG.Wait()
	stopBG()
	bgWG.Wait()
	// A last try for what failed; what still fails keeps this worker's
	// consumer, and other workers reclaim it once this one is gone.
	w.retryFailed(context.WithoutCancel(ctx))

	cleanup := context.WithoutCancel(ctx)
	if derr := rdb.Del(cleanup, workerKey(w.cfg.Prefix, w.id)).Err(); derr != nil {
		w.log.Warn("remove worker liveness key", "err", derr)
	}
	w.rdb.ZRem(cleanup, workersKey(w.cfg.Prefix), w.id) // best effort: the Inspector skips workers without a liveness key
	for _, p := range w.parts {
		// Tasks still running, or whose acknowledgement failed, keep this
		// worker's consumer: other workers reclaim them.
		w.dropConsumer(cleanup, p, w.id)
	}
	w.log.Info("worker stopped")
	return err
}

// drain waits for running tasks: up to ShutdownGrace, then it cancels their
// contexts with cancelTasks (unfinished tasks are handed back) and waits as
// long again.
func (w *Worker) drain(handlers *sync.WaitGroup, cancelTasks context.CancelFunc) error {
	done := make(chan struct{})
	go func() { handlers.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-time.After(w.cfg.ShutdownGrace):
	}
	w.log.Warn("shutdown grace expired; cancelling running tasks", "grace", w.cfg.ShutdownGrace)
	cancelTasks()
	select {
	case <-done:
		return nil
	case <-time.After(w.cfg.ShutdownGrace):
		return fmt.Errorf("tenantgen: tasks still running %v after they were cancelled; they ignore their context and will run again on another worker", w.cfg.ShutdownGrace)
	}
}

// pause waits for d or until ctx is cancelled.
func (w *Worker) pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
