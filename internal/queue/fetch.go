package queue

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// fetch fetches tasks from the lanes of its queues and hands them to the
// handlers until ctx is cancelled. It reads as many as there are free
// slots, and more when tasks are short (aheadMeter), and acknowledges the
// tasks finished since its last fetch in the same round trip.
func (w *Worker) fetch(ctx context.Context) {
	defer w.ackByCompleter() // from now on, the completer acknowledges
	// A first read that does not wait honours StrictPriority for the
	// backlog.
	wait := false
	// Whether extra tasks of the last fetch started in slots that finished
	// tasks freed: those tasks' acks wait for a read that no freed slot
	// will start.
	reused := false
	soon := time.NewTimer(time.Hour) // bounds the wait of reused's acks for a read
	soon.Stop()
	defer soon.Stop()
	for {
		n := w.take(w.cfg.Concurrency)
		if n == 0 {
			if !w.awaitSlot(ctx, reused, soon) {
				return
			}
			n = 1 + w.take(w.cfg.Concurrency-1)
		}
		// A read costs a round trip whatever its count. While yielding
		// lets running handlers free slots (short tasks finishing), take
		// them, to read for them all at once.
		for n < w.cfg.Concurrency {
			runtime.Gosched()
			got := w.take(w.cfg.Concurrency - n)
			if got == 0 {
				break
			}
			n += got
		}
		parts, count, block := w.eligible(n + w.ahead.extra(n, w.cfg.Concurrency))
		if len(parts) == 0 {
			w.release(n)
			select {
			case <-ctx.Done():
				return
			case <-w.freed:
			}
			continue
		}
		res, err := w.read(ctx, parts, count, wait, block)
		if err != nil {
			w.release(n)
			if errors.Is(err, redis.Nil) {
				wait = true // nothing ready: wait for tasks
				continue
			}
			if ctx.Err() != nil {
				return
			}
			w.log.Error("fetch tasks", "err", err)
			w.ackByCompleter()
			w.pause(ctx, time.Second)
			continue
		}
		w.hold(res)
		list := w.order(res)
		// A read that got all it asked for may have left more: the next
		// one does not wait. One that got less emptied the streams.
		wait = len(list) < count
		if len(list) < n {
			w.release(n - len(list))
		}
		reused = w.dispatch(ctx, list, n)
	}
}

// awaitSlot takes a slot when every slot is busy, and reports false if ctx
// is cancelled first. The acks of the tasks that finish meanwhile go with
// the read that their freed slots start. When extra tasks took the slots
// that finished tasks freed (reused), those tasks' acks wait for the next
// slot that frees, as briefly as an extra task waits for one (soon times
// it); past that they go with the completer, or they could wait for as
// long as the running tasks run.
func (w *Worker) awaitSlot(ctx context.Context, reused bool, soon *time.Timer) bool {
	if reused {
		soon.Reset(w.ahead.wait())
		if w.acquireBefore(ctx, soon.C) {
			return true
		}
		w.ackByCompleter()
	}
	return w.acquire(ctx)
}

// dispatch hands the deliveries of a fetch to the handlers: the first n
// in the slots taken for the read, at once. A fetch ahead, or of several
// streams, can return more tasks than free slots: each extra one starts
// when a running task frees its slot, and those still waiting when a short
// while has passed (slow or stuck tasks) go back to the fronts of their
// lanes, for any worker to take. It reports whether extra tasks started in
// slots that finished tasks freed (see awaitSlot).
func (w *Worker) dispatch(ctx context.Context, list []*delivery, n int) (reused bool) {
	var late *time.Timer // bounds the wait of the extra tasks for slots
	gaveUp := false
	var back []*delivery // not started: handed back, last first
	for i, d := range list {
		if u := w.queueUse[d.queue]; u != nil {
			u.Add(1)
		}
		started := i < n || w.take(1) == 1
		if !started && !gaveUp && ctx.Err() == nil {
			// The acks of the tasks that finish meanwhile go with the
			// next read (see awaitSlot).
			if late == nil {
				late = time.NewTimer(w.ahead.wait())
			}
			started = w.acquireBefore(ctx, late.C)
			if !started && ctx.Err() == nil {
				gaveUp = true
				w.ahead.noteHandBack()
			}
		}
		reused = reused || started && i >= n
		if !started || ctx.Err() != nil {
			if started {
				w.release(1)
			}
			back = append(back, d)
			continue
		}
		select {
		case w.work <- d:
		case <-ctx.Done():
			w.release(1)
			back = append(back, d)
		}
	}
	// Each goes to the front of its lane, and a lane that was idle to the
	// head of the ring: last first, so that they keep their order.
	for _, d := range slices.Backward(back) {
		w.settle(d, nil, "requeue", "")
		w.observe(nil, d, nil, Settlement{Action: "requeue"})
		w.done(d, false)
	}
	if late != nil {
		late.Stop()
	}
	return reused
}

// acquire takes a slot, waiting for one; it gives up when ctx is cancelled
// and reports false.
func (w *Worker) acquire(ctx context.Context) bool {
	select {
	case <-w.tokens:
		return true
	case <-ctx.Done():
		return false
	}
}

// acquireBefore takes a slot as acquire does, but gives up, reporting
// false, when late fires.
func (w *Worker) acquireBefore(ctx context.Context, late <-chan time.Time) bool {
	select {
	case <-w.tokens:
		return true
	case <-ctx.Done():
		return false
	case <-late:
		return false
	}
}

// take takes up to n free slots without waiting.
func (w *Worker) take(n int) int {
	for i := range n {
		select {
		case <-w.tokens:
		default:
			return i
		}
	}
	return n
}

func (w *Worker) release(n int) {
	for range n {
		w.tokens <- struct{}{}
	}
}

// done frees the slot of a finished delivery, and its queue's count; slot
// says whether it held a slot.
func (w *Worker) done(d *delivery, slot bool) {
	if u := w.queueUse[d.queue]; u != nil {
		u.Add(-1)
	}
	if slot {
		w.release(1)
	}
	select {
	case w.freed <- struct{}{}:
	default:
	}
}

// eligible returns the partitions of the queues below their caps, the
// count to fetch from each, up to want, so that no cap is exceeded, and how
// long a wait may block.
func (w *Worker) eligible(want int) ([]*part, int, time.Duration) {
	if len(w.cfg.QueueConcurrency) == 0 {
		return w.parts, want, blockTimeout
	}
	var parts []*part
	count := want
	block := blockTimeout
	for _, q := range w.queues {
		if limit, capped := w.cfg.QueueConcurrency[q]; capped {
			left := limit - int(w.queueUse[q].Load())
			if left <= 0 {
				block = cappedBlockTimeout
				continue
			}
			count = min(count, left)
		}
		parts = append(parts, w.partsOf[q]...)
	}
	return parts, count, block
}

// order puts the deliveries of a fetch in the order to start them: by
// priority, strictly or weighted at random.
func (w *Worker) order(list []*delivery) []*delivery {
	if len(list) < 2 || len(w.queues) < 2 {
		return list
	}
	type weighted struct {
		d *delivery
		w float64
	}
	ws := make([]weighted, len(list))
	for i, d := range list {
		p := float64(w.cfg.Queues[d.queue])
		if !w.cfg.StrictPriority {
			p *= rand.Float64()
		}
		ws[i] = weighted{d, p}
	}
	slices.SortStableFunc(ws, func(x, y weighted) int { return cmp.Compare(y.w, x.w) })
	for i := range ws {
		list[i] = ws[i].d
	}
	return list
}
