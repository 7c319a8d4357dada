package queue

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// beat refreshes this worker's liveness key, whose value describes the
// worker for the Inspector, and adds the attempts counted since the last
// beat to the queues' history, in one pipelined round trip.
func (w *Worker) beat(ctx context.Context) error {
	now := time.Now()
	st := w.insp.status
	st.Beat = now.UnixMilli()
	val, _ := json.Marshal(st)
	pipe := w.rdb.Pipeline()
	pipe.Set(ctx, workerKey(w.cfg.Prefix, w.id), val, w.cfg.WorkerTTL)
	wk := workersKey(w.cfg.Prefix)
	pipe.ZAdd(ctx, wk, redis.Z{Score: float64(st.Beat), Member: w.id})
	pipe.ZRemRangeByScore(ctx, wk, "-inf", "("+strconv.FormatInt(now.Add(-24*time.Hour).UnixMilli(), 10))
	counts := w.flushTallies(ctx, pipe, now)
	if _, err := pipe.Exec(ctx); err != nil {
		restore(counts)
		return err
	}
	return nil
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
