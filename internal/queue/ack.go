package queue

import (
	"context"
	"errors"
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
// entries of acks, one XACK and one XDEL per queue.
func (w *Worker) queueAcks(ctx context.Context, pipe redis.Pipeliner, acks []*delivery) []*redis.IntCmd {
	byQueue := make(map[string][]string, 1)
	for _, d := range acks {
		byQueue[d.queue] = append(byQueue[d.queue], d.entry)
	}
	cmds := make([]*redis.IntCmd, 0, 2*len(byQueue))
	for q, ids := range byQueue {
		stream := w.keys[q].stream
		cmds = append(cmds, pipe.XAck(ctx, stream, group, ids...), pipe.XDel(ctx, stream, ids...))
	}
	return cmds
}

// flushAcks acknowledges acks in one pipeline, retrying on errors.
func (w *Worker) flushAcks(acks []*delivery) {
	ctx := context.Background()
	n := len(acks)
	for try := 1; ; try++ {
		pipe := w.rdb.Pipeline()
		w.queueAcks(ctx, pipe, acks)
		_, err := pipe.Exec(ctx)
		if err == nil {
			return
		}
		if try == 5 || errors.Is(err, redis.ErrClosed) {
			// Unacknowledged tasks run again after a crash; nothing is lost.
			w.log.Error("acknowledge tasks; giving up", "tasks", n, "err", err)
			return
		}
		w.log.Warn("acknowledge tasks; retrying", "tasks", n, "err", err)
		time.Sleep(time.Duration(try) * 100 * time.Millisecond)
	}
}
