package queue

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ack queues the acknowledgement of the successful delivery d.
func (w *Worker) ack(d *delivery) {
	w.ackMu.Lock()
	if w.ackClosed {
		// Run has given up waiting for this task; acknowledge it all the
		// same, so that it does not run again.
		w.ackMu.Unlock()
		w.flushAcks([]*delivery{d})
		return
	}
	w.acks = append(w.acks, d)
	wake := !w.ackByRead
	w.ackMu.Unlock()
	if wake {
		select {
		case w.ackWake <- struct{}{}:
		default:
		}
	}
}

// ackByCompleter hands acknowledgements over to the completer, while the
// fetcher pauses or when it has stopped.
func (w *Worker) ackByCompleter() {
	w.ackMu.Lock()
	w.ackByRead = false
	w.ackMu.Unlock()
	select {
	case w.ackWake <- struct{}{}:
	default:
	}
}

// stopAcks makes the completer acknowledge what is left and return; later
// acknowledgements are made at once by the task's goroutine.
func (w *Worker) stopAcks() {
	w.ackMu.Lock()
	w.ackClosed = true
	w.ackMu.Unlock()
	close(w.ackStop)
}

// completer acknowledges the finished tasks that the fetcher does not take
// with a read: one pipeline for all those pending, so that it adds no delay
// when idle.
func (w *Worker) completer() {
	for {
		stop := false
		select {
		case <-w.ackWake:
		case <-w.ackStop:
			stop = true
		}
		w.ackMu.Lock()
		acks := w.acks
		if !w.ackByRead || stop {
			w.acks = nil
		} else {
			acks = nil // the fetcher takes them with its read
		}
		w.ackMu.Unlock()
		if len(acks) > 0 {
			w.flushAcks(acks)
		}
		if stop {
			return
		}
	}
}

// queueAcks queues on pipe the commands that acknowledge and delete the
// entries of acks: per partition, one XACK and one XDEL for the entries
// that count against no cap, and one ackCountedScript for those that do,
// except in the partitions of fetching, whose fetch scripts acknowledge
// them: for those it returns the arguments to append to the fetch's.
func (w *Worker) queueAcks(ctx context.Context, pipe redis.Pipeliner, acks []*delivery, fetching []*part) ([]redis.Cmder, map[*part][]any) {
	if len(acks) == 0 {
		return nil, nil
	}
	type byPart struct {
		plain   []string
		counted []*delivery
	}
	parts := make(map[*part]*byPart, 1)
	for _, d := range acks {
		b := parts[d.p]
		if b == nil {
			b = new(byPart)
			parts[d.p] = b
		}
		if d.counted {
			b.counted = append(b.counted, d)
		} else {
			b.plain = append(b.plain, d.entry)
		}
	}
	var folded map[*part][]any
	cmds := make([]redis.Cmder, 0, 2*len(parts))
	for p, b := range parts {
		stream := p.k.stream
		if len(b.plain) > 0 {
			cmds = append(cmds, pipe.XAck(ctx, stream, group, b.plain...), pipe.XDel(ctx, stream, b.plain...))
		}
		if b.counted == nil {
			continue
		}
		if slices.Contains(fetching, p) {
			if folded == nil {
				folded = make(map[*part][]any, 1)
			}
			folded[p] = countedAcks(nil, b.counted)
			continue
		}
		args := countedAcks([]any{p.k.base, group}, b.counted)
		cmds = append(cmds, ackCountedScript.EvalSha(ctx, pipe, []string{stream}, args...))
	}
	return cmds, folded
}

// countedAcks appends to args the acknowledgements of the counted
// deliveries ds as ackInto takes them: the number of lanes, each lane and
// how many of ds it counts down, negated ("-2"), then the entry IDs, lane
// by lane. Grouping them here spares Lua the tables and the number
// formatting, which cost it more than the commands. It reorders ds.
func countedAcks(args []any, ds []*delivery) []any {
	slices.SortStableFunc(ds, func(a, b *delivery) int { return strings.Compare(a.lane, b.lane) })
	lanes := 0
	for i, d := range ds {
		if i == 0 || d.lane != ds[i-1].lane {
			lanes++
		}
	}
	args = slices.Grow(args, 1+2*lanes+len(ds))
	args = append(args, strconv.Itoa(lanes))
	for i := 0; i < len(ds); {
		j := i + 1
		for j < len(ds) && ds[j].lane == ds[i].lane {
			j++
		}
		args = append(args, ds[i].lane, strconv.Itoa(i-j))
		i = j
	}
	for _, d := range ds {
		args = append(args, d.entry)
	}
	return args
}

// flushAcks acknowledges acks in one pipeline, retrying on errors; if
// Redis stays unreachable, the reclaimer retries them later.
func (w *Worker) flushAcks(acks []*delivery) {
	ctx := context.Background()
	n := len(acks)
	for try := 1; ; try++ {
		err := w.sendAcks(ctx, acks)
		if err == nil {
			return
		}
		if try == 5 || errors.Is(err, redis.ErrClosed) {
			w.log.Error("acknowledge tasks; will retry every heartbeat", "tasks", n, "err", err)
			w.retryLater(func(ctx context.Context) error { return w.sendAcks(ctx, acks) })
			return
		}
		w.log.Warn("acknowledge tasks; retrying", "tasks", n, "err", err)
		time.Sleep(time.Duration(try) * 100 * time.Millisecond)
	}
}

// sendAcks acknowledges acks in one pipeline; once they are, w no longer
// holds them.
func (w *Worker) sendAcks(ctx context.Context, acks []*delivery) error {
	pipe := w.rdb.Pipeline()
	w.queueAcks(ctx, pipe, acks, nil)
	if _, err := execPipe(ctx, w.rdb, pipe); err != nil {
		return err
	}
	w.unhold(acks...)
	return nil
}
