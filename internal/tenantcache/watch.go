package tenantcache

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Subscriber is the part of a Redis client that Watch needs; every
// go-redis client has it.
type Subscriber interface {
	Subscribe(ctx context.Context, channels ...string) *redis.PubSub
}

// Watch subscribes to channel, whose messages are IDs to invalidate, until
// the returned function is called. After a lost connection it invalidates
// everything, since changes may have been missed meanwhile.
func (c *Cache[T]) Watch(ctx context.Context, rdb Subscriber, channel string) (stop func(), err error) {
	ps := rdb.Subscribe(ctx, channel)
	if _, err := ps.Receive(ctx); err != nil {
		ps.Close()
		return nil, fmt.Errorf("tenantgen: subscribe to tenant changes: %w", err)
	}
	stopc := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			msg, err := ps.Receive(context.Background())
			select {
			case <-stopc:
				return
			default:
			}
			switch m := msg.(type) {
			case *redis.Subscription:
				// Subscribed again after a lost connection.
				c.Invalidate()
			case *redis.Message:
				c.Invalidate(m.Payload)
			}
			if err != nil {
				select {
				case <-stopc:
					return
				case <-time.After(time.Second): // Redis is away; the client reconnects
				}
			}
		}
	}()
	return func() {
		close(stopc)
		ps.Close()
		<-done
	}, nil
}
