package queue

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// blocker runs blocking waits for wake tokens on a connection of its own,
// so that they can be cut short: when a wait's ctx is cancelled, CLIENT
// UNBLOCK, sent on another connection, ends the wait at once as if it had
// timed out. Without it an idle worker would notice shutdown only when its
// wait timed out. A blocker serves one wait at a time.
type blocker struct {
	node func(context.Context) (*redis.Client, error) // the server to wait on

	client *redis.Client // the server of conn
	conn   *redis.Conn   // nil before the first wait and after an error
	id     int64         // the CLIENT ID of conn
}

// wait runs BLPOP on keys for up to timeout. It returns nil once a token
// came, ctx's error without waiting if ctx is done, and redis.Nil if the
// wait timed out or ctx was cancelled while it waited.
func (b *blocker) wait(ctx context.Context, keys []string, timeout time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.conn == nil {
		client, err := b.node(ctx)
		if err != nil {
			return err
		}
		conn := client.Conn()
		id, err := conn.ClientID(ctx).Result()
		if err != nil {
			conn.Close()
			return err
		}
		b.client, b.conn, b.id = client, conn, id
	}
	returned, unblocked := make(chan struct{}), make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(unblocked)
		b.unblock(returned)
	})
	err := b.conn.Do(context.WithoutCancel(ctx), blpopArgs(keys, timeout)...).Err()
	close(returned)
	if !stop() {
		<-unblocked // or a late CLIENT UNBLOCK could cut short the next wait
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		b.close() // the connection may be broken, or the slot moved
	}
	return err
}

// blpopArgs returns the arguments of BLPOP on keys for up to timeout, which
// Redis takes in seconds with decimals (go-redis's BLPop rounds to whole
// seconds).
func blpopArgs(keys []string, timeout time.Duration) []any {
	args := make([]any, 0, len(keys)+2)
	args = append(args, "blpop")
	for _, k := range keys {
		args = append(args, k)
	}
	return append(args, strconv.FormatFloat(max(timeout, time.Millisecond).Seconds(), 'f', 3, 64))
}

// unblock sends CLIENT UNBLOCK for b's connection until the wait on it has
// returned. The wait may not have reached the server yet: UNBLOCK then finds
// nothing to unblock and is sent again. If it fails (an ACL may forbid it),
// the wait ends when it times out.
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
