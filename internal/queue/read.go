package queue

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// read acknowledges the tasks finished so far and fetches up to count tasks
// from each of parts, in one round trip. If wait, and it has nothing to
// acknowledge, it first waits for a wake token of any of parts, for up to
// block; otherwise it fetches at once. Not waiting while the lanes have
// tasks lets the tasks that finish meanwhile be acknowledged by the next
// fetch. It returns redis.Nil when there was nothing to fetch.
//
// With StrictPriority and several queues, a fetch that does not wait takes
// the queues in turn, highest priority first, until it has count tasks, so
// that no lower-priority task is taken while higher ones are ready.
func (w *Worker) read(ctx context.Context, parts []*part, count int, wait bool, block time.Duration) ([]*delivery, error) {
	w.ackMu.Lock()
	acks := w.acks
	w.acks = nil
	wait = wait && len(acks) == 0
	w.ackByRead = !wait
	w.ackMu.Unlock()
	if wait {
		// The completer acknowledges what finishes while this waits. A
		// wait that times out fetches all the same: the token is a hint,
		// the timeout a safety net.
		if w.waitFor > 0 {
			block = min(block, w.waitFor)
		}
		err := w.waitWake(ctx, parts, block)
		w.ackMu.Lock()
		w.ackByRead = true
		w.ackMu.Unlock()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	if !w.cfg.StrictPriority || len(parts) == 1 || parts[0].queue == parts[len(parts)-1].queue {
		return w.fetchNow(ctx, acks, parts, count)
	}
	var all []*delivery
	for i := 0; i < len(parts) && count > 0; {
		j := i + 1
		for j < len(parts) && parts[j].queue == parts[i].queue {
			j++
		}
		got, err := w.fetchNow(ctx, acks, parts[i:j], count)
		acks = nil
		if err != nil && !errors.Is(err, redis.Nil) {
			if len(all) > 0 {
				break // return the tasks fetched; the next fetch meets the error again
			}
			return nil, err
		}
		all = append(all, got...)
		count -= len(got)
		i = j
	}
	if len(all) == 0 {
		return nil, redis.Nil
	}
	return all, nil
}

// fetchNow runs the fetch script of each of parts, for up to count tasks
// each, followed by this consumer's read of as many, and acknowledges acks,
// in one pipeline, which a *redis.ClusterClient splits by node.
func (w *Worker) fetchNow(ctx context.Context, acks []*delivery, parts []*part, count int) ([]*delivery, error) {
	pipe := w.rdb.Pipeline()
	ackCmds, folded := w.queueAcks(ctx, pipe, acks, parts)
	fetches := make([]*redis.Cmd, len(parts))
	reads := make([]*redis.XStreamSliceCmd, len(parts))
	for i, p := range parts {
		args := []any{p.k.base, group, count, p.limit, w.maxPayload, w.cfg.DeadMaxLen, w.deadMaxAge()}
		if c := folded[p]; c != nil {
			args = append(args, c...)
		}
		fetches[i] = fetchScript.EvalSha(ctx, pipe, []string{p.k.stream}, args...)
		if folded[p] != nil {
			ackCmds = append(ackCmds, fetches[i]) // it acknowledges too
		}
		reads[i] = pipe.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: group, Consumer: w.id, Streams: []string{p.k.stream, ">"}, Count: int64(count), Block: -1,
		})
	}
	sent := time.Now()
	resent, _ := execPipe(ctx, w.rdb, pipe)
	w.ahead.noteTrip(time.Since(sent))
	acked := true
	for _, c := range ackCmds {
		if c.Err() != nil {
			acked = false
			w.flushAcks(acks) // retries, then leaves them to the reclaimer
			break
		}
	}
	if acked && len(acks) > 0 {
		w.unhold(acks...)
	}
	var all []*delivery
	var first error
	w.waitFor = 0
	for i, c := range fetches {
		if res, err := c.Slice(); err == nil {
			w.noteFetch(parts[i], res)
		} else if first == nil {
			first = err
		}
		res, err := reads[i].Result()
		switch {
		case err == nil:
			all = w.deliveries(all, parts[i], res)
		case errors.Is(err, redis.Nil):
		case first == nil:
			first = err
		}
	}
	switch {
	case len(all) > 0:
		return all, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case first != nil:
		return nil, first
	case resent:
		// The scripts were loaded and run after the reads, which found
		// nothing of what they moved: read again.
		return w.fetchNow(ctx, nil, parts, count)
	}
	return nil, redis.Nil
}

// noteFetch notes what the fetch script's reply res says of p.
func (w *Worker) noteFetch(p *part, res []any) {
	if len(res) < 2 {
		return
	}
	if n, _ := res[0].(int64); n == 1 {
		w.log.Warn("the queue's stream was missing (Redis lost its data?); recreated it and its consumer group", "queue", p.queue, "partition", p.index)
	}
	if ms, _ := res[1].(int64); ms > 0 {
		if d := time.Duration(ms) * time.Millisecond; w.waitFor == 0 || d < w.waitFor {
			w.waitFor = d
		}
	}
}

// deliveries appends to list the deliveries of a read of p.
func (w *Worker) deliveries(list []*delivery, p *part, res []redis.XStream) []*delivery {
	for _, s := range res {
		all := make([]delivery, len(s.Messages)) // one allocation for the whole read
		for i, m := range s.Messages {
			d := &all[i]
			d.queue, d.p, d.entry = p.queue, p, m.ID
			d.data, _ = m.Values[fieldEnvelope].(string)
			d.lane, _ = m.Values[fieldLane].(string)
			if v, ok := m.Values[fieldInterrupts].(string); ok {
				d.interrupts, _ = strconv.Atoi(v)
			}
			d.counted = m.Values[fieldCounted] == "1"
			list = append(list, d)
		}
	}
	return list
}

// setupReaders prepares the blocking waits of w for its kind of client. On
// a *redis.Client one BLPOP covers every wake key. On a *redis.ClusterClient
// the partitions live in different hash slots, maybe on different nodes,
// and no command may touch several slots: w waits for each partition's
// token on its own, on the node that serves it. A client of another type
// waits as a *redis.Client does, but its waits are not cut short at
// shutdown.
func (w *Worker) setupReaders() {
	switch c := w.rdb.(type) {
	case *redis.ClusterClient:
		w.cluster = true
		w.blockers = make(map[string]*blocker, len(w.parts))
		for _, p := range w.parts {
			key := p.k.wake
			w.blockers[key] = &blocker{node: func(ctx context.Context) (*redis.Client, error) {
				return c.MasterForKey(ctx, key)
			}}
		}
	case *redis.Client:
		w.blockers = map[string]*blocker{"": {node: func(context.Context) (*redis.Client, error) { return c, nil }}}
	}
}

// closeReaders returns the connections of the blocking waits to their
// pools.
func (w *Worker) closeReaders() {
	for _, b := range w.blockers {
		b.close()
	}
}

// waitWake waits up to block for a wake token of any of parts, and takes
// it. It returns nil if one came, redis.Nil if none did, and returns at
// once when ctx is cancelled.
func (w *Worker) waitWake(ctx context.Context, parts []*part, block time.Duration) error {
	switch {
	case w.blockers == nil:
		keys := make([]string, len(parts))
		for i, p := range parts {
			keys[i] = p.k.wake
		}
		return w.rdb.Do(ctx, blpopArgs(keys, block)...).Err()
	case !w.cluster:
		keys := make([]string, len(parts))
		for i, p := range parts {
			keys[i] = p.k.wake
		}
		return w.blockers[""].wait(ctx, keys, block)
	case len(parts) == 1:
		return w.blockers[parts[0].k.wake].wait(ctx, []string{parts[0].k.wake}, block)
	}
	// One wait per partition, all at once; the first token cuts the
	// others short.
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan error, len(parts))
	for _, p := range parts {
		b := w.blockers[p.k.wake]
		go func() {
			err := b.wait(rctx, []string{p.k.wake}, block)
			if err == nil {
				cancel()
			}
			results <- err
		}()
	}
	var woke bool
	var first error
	for range parts {
		err := <-results
		switch {
		case err == nil:
			woke = true
		case errors.Is(err, redis.Nil), errors.Is(err, context.Canceled) && rctx.Err() != nil:
			// Timed out, or cut short.
		case first == nil:
			first = err
		}
	}
	switch {
	case woke:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case first != nil:
		return first
	}
	return redis.Nil
}
