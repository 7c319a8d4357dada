package tenantcache

import (
	"context"
)

// loadCall is one lookup of one ID, waited for by every reader of it.
type loadCall[T any] struct {
	done chan struct{}
	res  Result[T]
}

// load looks id up, sharing the lookup with every concurrent reader of it.
// With LookupMany, the IDs missed while a batch is in flight gather for
// the next one, so that tasks of many tenants cost one query per batch,
// not one each, and an idle worker's miss waits for nothing but its own
// query. Lookups are detached from the reader's ctx: one task's
// cancellation must not fail the others.
func (c *Cache[T]) load(ctx context.Context, id string) (*T, error) {
	c.mu.Lock()
	call := c.inflight[id]
	if call == nil {
		call = c.pending[id]
	}
	if call == nil {
		call = &loadCall[T]{done: make(chan struct{})}
		if c.lookupMany == nil {
			c.inflight[id] = call
			go c.loadOne(id, call, c.gen)
		} else {
			c.pending[id] = call
			if !c.loading {
				c.loading = true
				go c.runLoads()
			}
		}
	}
	c.waiting.Add(1) // counted once its lookup is known, for the tests
	defer c.waiting.Add(-1)
	c.mu.Unlock()
	select {
	case <-call.done:
		return call.res.Value, call.res.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// loadOne looks one ID up. gen is the cache's generation when it started:
// an invalidation meanwhile means the result may be stale, so it is not
// cached.
func (c *Cache[T]) loadOne(id string, call *loadCall[T], gen uint64) {
	at := c.now()
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	v, err := c.lookup(ctx, id)
	cancel()
	c.mu.Lock()
	call.res = Result[T]{v, err}
	if c.gen == gen {
		c.storeLocked(id, call.res, at)
	}
	delete(c.inflight, id)
	c.mu.Unlock()
	close(call.done)
}

// runLoads sends the pending IDs to LookupMany until none is left.
func (c *Cache[T]) runLoads() {
	for {
		c.mu.Lock()
		if len(c.pending) == 0 {
			c.loading = false
			c.mu.Unlock()
			return
		}
		batch, gen := c.pending, c.gen
		c.pending = make(map[string]*loadCall[T])
		ids := make([]string, 0, len(batch))
		for id, call := range batch {
			c.inflight[id] = call
			ids = append(ids, id)
		}
		c.mu.Unlock()

		at := c.now()
		ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
		res, err := c.lookupMany(ctx, ids)
		cancel()

		c.mu.Lock()
		for id, call := range batch {
			call.res = Result[T]{Err: err}
			if err == nil {
				call.res = res[id]
				if c.gen == gen {
					c.storeLocked(id, call.res, at)
				}
			}
			delete(c.inflight, id)
			close(call.done)
		}
		c.mu.Unlock()
	}
}
