package runtime

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// This file holds the fetcher's reads that depend on the kind of client:
// blocking reads that shutdown cuts short, and reads that stay within one
// hash slot per command on Redis Cluster.

// blocker runs blocking reads on a connection of its own, so that they can
// be cut short: when a read's ctx is cancelled, CLIENT UNBLOCK, sent on
// another connection, ends the read at once as if it had timed out. Without
// it an idle worker would notice shutdown only when its read timed out. A
// blocker serves one read at a time.
type blocker struct {
	node func(context.Context) (*redis.Client, error) // the server to read from

	client *redis.Client // the server of conn
	conn   *redis.Conn   // nil before the first read and after an error
	id     int64         // the CLIENT ID of conn
}

// read runs the blocking XREADGROUP args. It returns ctx's error without
// reading if ctx is done, and redis.Nil if the read timed out or ctx was
// cancelled while it waited.
func (b *blocker) read(ctx context.Context, args *redis.XReadGroupArgs) ([]redis.XStream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b.conn == nil {
		client, err := b.node(ctx)
		if err != nil {
			return nil, err
		}
		conn := client.Conn()
		id, err := conn.ClientID(ctx).Result()
		if err != nil {
			conn.Close()
			return nil, err
		}
		b.client, b.conn, b.id = client, conn, id
	}
	returned, unblocked := make(chan struct{}), make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(unblocked)
		b.unblock(returned)
	})
	res, err := b.conn.XReadGroup(context.WithoutCancel(ctx), args).Result()
	close(returned)
	if !stop() {
		<-unblocked // or a late CLIENT UNBLOCK could cut short the next read
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		b.close() // the connection may be broken, or the slot moved
	}
	return res, err
}

// unblock sends CLIENT UNBLOCK for b's connection until the read on it has
// returned. The read may not have reached the server yet: UNBLOCK then finds
// nothing to unblock and is sent again. If it fails (an ACL may forbid it),
// the read ends when it times out.
func (b *blocker) unblock(returned <-chan struct{}) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		n, err := b.client.ClientUnblock(ctx, b.id).Result()
		cancel()
		if err != nil || n == 1 {
			return
		}
		select {
		case <-returned:
			return
		case <-time.After(time.Millisecond):
		}
	}
}

// close returns b's connection to its pool.
func (b *blocker) close() {
	if b.conn != nil {
		b.conn.Close()
		b.conn = nil
	}
}

// setupReaders prepares the blocking reads of w for its kind of client. On a
// *redis.Client one read covers every stream. On a *redis.ClusterClient the
// streams of different queues live in different hash slots, maybe on
// different nodes, and no command may touch several slots: w reads each
// queue's stream on its own, from the node that serves it. A client of
// another type reads as a *redis.Client does, but its blocking reads are
// not cut short at shutdown.
func (w *worker) setupReaders() {
	switch c := w.app.rdb.(type) {
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
func (w *worker) closeReaders() {
	for _, b := range w.blockers {
		b.close()
	}
}

// readBlocking reads up to count tasks from each of streams (XREADGROUP
// STREAMS arguments), waiting up to block for the first. It returns
// redis.Nil if none came, and returns at once when ctx is cancelled.
func (w *worker) readBlocking(ctx context.Context, streams []string, count int, block time.Duration) ([]redis.XStream, error) {
	args := func(streams []string) *redis.XReadGroupArgs {
		return &redis.XReadGroupArgs{Group: group, Consumer: w.id, Streams: streams, Count: int64(count), Block: block}
	}
	switch {
	case w.blockers == nil:
		return w.app.rdb.XReadGroup(ctx, args(streams)).Result()
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
func (w *worker) readEach(ctx context.Context, acks []*delivery, streams []string, count int) ([]redis.XStream, error) {
	pipe := w.app.rdb.Pipeline()
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
