package queue

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// reclaimer puts the tasks of dead workers back in their lanes, retries
// failed acknowledgements and settles, and hands back this worker's own
// pending entries that it never received.
func (w *Worker) reclaimer(ctx context.Context) {
	t := time.NewTicker(w.cfg.Heartbeat)
	defer t.Stop()
	for {
		w.retryFailed(ctx)
		for _, p := range w.parts {
			if err := w.reclaim(ctx, p); err != nil && ctx.Err() == nil {
				w.log.Error("reclaim tasks of dead workers", "queue", p.queue, "partition", p.index, "err", err)
			}
			if err := w.recoverOwn(ctx, p); err != nil && ctx.Err() == nil {
				w.log.Error("recover this worker's own pending tasks", "queue", p.queue, "partition", p.index, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (w *Worker) reclaim(ctx context.Context, p *part) error {
	rdb := w.rdb
	stream, queue := p.k.stream, p.queue
	consumers, err := rdb.XInfoConsumers(ctx, stream, group).Result()
	if err != nil {
		return err
	}
	for _, c := range consumers {
		if c.Name == w.id {
			continue
		}
		alive, err := rdb.Exists(ctx, workerKey(w.cfg.Prefix, c.Name)).Result()
		if err != nil {
			return err
		}
		if alive == 1 {
			continue
		}
		if c.Pending == 0 {
			w.dropConsumer(ctx, p, c.Name)
			continue
		}
		pending, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: group, Start: "-", End: "+", Count: 1000, Consumer: c.Name}).Result()
		if err != nil {
			return err
		}
		args := []any{p.k.base, group, w.id, w.cfg.Heartbeat.Milliseconds(), time.Now().UnixMilli(), w.cfg.DeadMaxLen, w.deadMaxAge(), "1"}
		for _, e := range pending {
			args = append(args, e.ID)
		}
		n, err := reclaimScript.Run(ctx, rdb, []string{stream}, args...).Int()
		if err != nil {
			return err
		}
		w.log.Warn("reclaimed the tasks of a dead worker", "queue", queue, "dead_worker", c.Name, "tasks", n)
		select {
		case w.freed <- struct{}{}:
		default:
		}
	}
	return nil
}

// dropConsumer deletes the consumer of p's stream, unless tasks are still
// pending under it.
func (w *Worker) dropConsumer(ctx context.Context, p *part, consumer string) {
	queue := p.queue
	deleted, err := dropConsumerScript.Run(ctx, w.rdb, []string{p.k.stream}, group, consumer).Int()
	switch {
	case err != nil:
		if ctx.Err() == nil {
			w.log.Warn("remove consumer", "queue", queue, "consumer", consumer, "err", err)
		}
	case deleted == 0 && consumer == w.id:
		w.log.Warn("tasks of this worker are still pending; live workers will reclaim them", "queue", queue)
	}
}
