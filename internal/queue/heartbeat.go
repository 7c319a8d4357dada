package queue

import (
	"context"
	"time"
)

// beat refreshes this worker's liveness key.
func (w *Worker) beat(ctx context.Context) error {
	return w.rdb.Set(ctx, workerKey(w.cfg.Prefix, w.id), time.Now().UnixMilli(), w.cfg.WorkerTTL).Err()
}

func (w *Worker) heartbeats(ctx context.Context) {
	t := time.NewTicker(w.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := w.beat(ctx); err != nil && ctx.Err() == nil {
				w.log.Error("heartbeat", "err", err)
			}
		}
	}
}
