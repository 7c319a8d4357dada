package queue

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// read acknowledges the tasks finished so far and reads up to count tasks
// from streams, in one round trip. If wait, and it has nothing to
// acknowledge, it blocks until tasks arrive or for up to block;
// otherwise it returns at once. Not waiting while the streams have tasks
// lets the tasks that finish meanwhile be acknowledged by the next read.
//
// With StrictPriority and several streams, a read that does not wait reads
// the streams in turn, highest priority first, until it has count tasks, so
// that no lower-priority task is taken while higher ones are ready.
func (w *Worker) read(ctx context.Context, streams []string, count int, wait bool, block time.Duration) ([]redis.XStream, error) {
	w.ackMu.Lock()
	acks := w.acks
	w.acks = nil
	wait = wait && len(acks) == 0
	w.ackByRead = !wait
	w.ackMu.Unlock()
	if wait {
		// The completer acknowledges what finishes while this read waits.
		res, err := w.readBlocking(ctx, streams, count, block)
		w.ackMu.Lock()
		w.ackByRead = true
		w.ackMu.Unlock()
		return res, err
	}
	queues := len(streams) / 2
	if !w.cfg.StrictPriority || queues == 1 {
		return w.readNow(ctx, acks, streams, count)
	}
	var all []redis.XStream
	for i := 0; i < queues && count > 0; i++ {
		res, err := w.readNow(ctx, acks, []string{streams[i], ">"}, count)
		acks = nil
		if err != nil && !errors.Is(err, redis.Nil) {
			if len(all) > 0 {
				break // return the tasks read; the next read meets the error again
			}
			return nil, err
		}
		for _, s := range res {
			all = append(all, s)
			count -= len(s.Messages)
		}
	}
	if len(all) == 0 {
		return nil, redis.Nil
	}
	return all, nil
}

// readNow reads up to count tasks from streams without waiting, and
// acknowledges acks in the same round trip.
func (w *Worker) readNow(ctx context.Context, acks []*delivery, streams []string, count int) ([]redis.XStream, error) {
	if w.cluster && len(streams) > 2 {
		return w.readEach(ctx, acks, streams, count) // one stream per command
	}
	args := &redis.XReadGroupArgs{Group: group, Consumer: w.id, Streams: streams, Count: int64(count), Block: -1}
	if len(acks) == 0 {
		return w.rdb.XReadGroup(ctx, args).Result()
	}
	pipe := w.rdb.Pipeline()
	ackCmds := w.queueAcks(ctx, pipe, acks)
	read := pipe.XReadGroup(ctx, args)
	pipe.Exec(ctx)
	for _, c := range ackCmds {
		if c.Err() != nil {
			w.flushAcks(acks) // retries, or gives up and logs
			break
		}
	}
	return read.Result()
}

// setupReaders prepares the blocking reads of w for its kind of client. On a
// *redis.Client one read covers every stream. On a *redis.ClusterClient the
// streams of different queues live in different hash slots, maybe on
// different nodes, and no command may touch several slots: w reads each
// queue's stream on its own, from the node that serves it. A client of
// another type reads as a *redis.Client does, but its blocking reads are
// not cut short at shutdown.
func (w *Worker) setupReaders() {
	switch c := w.rdb.(type) {
	case *redis.ClusterClient:
		w.cluster = true
		w.blockers = make(map[string]*blocker, len(w.queues))
		for _, q := range w.queues {
			stream := w.keys[q].stream
			w.blockers[stream] = &blocker{node: func(ctx context.Context) (*redis.Client, error) {
				return c.MasterForKey(ctx, stream)
			}}
		}
	case *redis.Client:
		w.blockers = map[string]*blocker{"": {node: func(context.Context) (*redis.Client, error) { return c, nil }}}
	}
}

// closeReaders returns the connections of the blocking reads to their
// pools.
func (w *Worker) closeReaders() {
	for _, b := range w.blockers {
		b.close()
	}
}

// readBlocking reads up to count tasks from each of streams (XREADGROUP
// STREAMS arguments), waiting up to block for the first. It returns
// redis.Nil if none came, and returns at once when ctx is cancelled.
func (w *Worker) readBlocking(ctx context.Context, streams []string, count int, block time.Duration) ([]redis.XStream, error) {
	args := func(streams []string) *redis.XReadGroupArgs {
		return &redis.XReadGroupArgs{Group: group, Consumer: w.id, Streams: streams, Count: int64(count), Block: block}
	}
	switch {
	case w.blockers == nil:
		return w.rdb.XReadGroup(ctx, args(streams)).Result()
	case !w.cluster:
		return w.blockers[""].read(ctx, args(streams))
	case len(streams) == 2:
		return w.blockers[streams[0]].read(ctx, args(streams))
	}
	// One blocking read per stream, all at once; the first that gets
	// tasks cuts the others short. Like one read of several streams, this
	// returns up to count tasks of each.
	n := len(streams) / 2
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		res []redis.XStream
		err error
	}
	results := make(chan result, n)
	for i := range n {
		b, one := w.blockers[streams[i]], args([]string{streams[i], ">"})
		go func() {
			res, err := b.read(rctx, one)
			if err == nil {
				cancel()
			}
			results <- result{res, err}
		}()
	}
	var all []redis.XStream
	var first error
	for range n {
		r := <-results
		switch {
		case r.err == nil:
			all = append(all, r.res...)
		case errors.Is(r.err, redis.Nil), errors.Is(r.err, context.Canceled) && rctx.Err() != nil:
			// Timed out, or cut short.
		case first == nil:
			first = r.err
		}
	}
	return merged(ctx, all, first)
}

// readEach reads up to count tasks from each of streams without waiting,
// and acknowledges acks in the same round trip: one XREADGROUP per stream,
// in one pipeline, which a *redis.ClusterClient splits by node.
func (w *Worker) readEach(ctx context.Context, acks []*delivery, streams []string, count int) ([]redis.XStream, error) {
	pipe := w.rdb.Pipeline()
	ackCmds := w.queueAcks(ctx, pipe, acks)
	reads := make([]*redis.XStreamSliceCmd, len(streams)/2)
	for i := range reads {
		reads[i] = pipe.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: group, Consumer: w.id, Streams: []string{streams[i], ">"}, Count: int64(count), Block: -1,
		})
	}
	pipe.Exec(ctx)
	for _, c := range ackCmds {
		if c.Err() != nil {
			w.flushAcks(acks) // retries, or gives up and logs
			break
		}
	}
	var all []redis.XStream
	var first error
	for _, r := range reads {
		res, err := r.Result()
		switch {
		case err == nil:
			all = append(all, res...)
		case errors.Is(err, redis.Nil):
		case first == nil:
			first = err
		}
	}
	return merged(ctx, all, first)
}

// merged is the result of several reads that got the tasks of all, and
// whose first error, other than redis.Nil, was err. Tasks win over an
// error: the next read meets it again.
func merged(ctx context.Context, all []redis.XStream, err error) ([]redis.XStream, error) {
	switch {
	case len(all) > 0:
		return all, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		return nil, err
	}
	return nil, redis.Nil
}
