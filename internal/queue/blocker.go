package queue

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

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
