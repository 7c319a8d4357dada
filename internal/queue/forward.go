package queue

import (
	"context"
	"strconv"
	"time"
)

// forwardBatch is how many due delayed tasks one script call moves.
const forwardBatch = 500

// forwardIdle bounds how long the forwarder sleeps when it knows of no due
// task: delayed tasks enqueued by other processes are noticed within it.
const forwardIdle = 250 * time.Millisecond

// forwarder moves due delayed tasks and retries of partition p to their
// lanes, sleeping until the next one is due.
func (w *Worker) forwarder(ctx context.Context, p *part) {
	k, queue := p.k, p.queue
	for {
		wait := forwardIdle
		res, err := forwardScript.Run(ctx, w.rdb, []string{k.delayed}, k.base, time.Now().UnixMilli(), forwardBatch).Slice()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			w.log.Error("forward delayed tasks", "queue", queue, "err", err)
			wait = time.Second
		default:
			moved, _ := res[0].(int64)
			if moved == forwardBatch {
				continue
			}
			if next, ok := res[1].(string); ok {
				if ms, err := strconv.ParseFloat(next, 64); err == nil {
					wait = min(wait, max(time.Until(time.UnixMilli(int64(ms))), time.Millisecond))
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-w.poke:
		case <-time.After(wait):
		}
	}
}
