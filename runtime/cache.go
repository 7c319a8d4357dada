package runtime

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// negativeCacheMax bounds the number of unknown tenant IDs remembered, so
// that a flood of bogus IDs cannot grow the cache without limit.
const negativeCacheMax = 1024

// tenantCache caches tenant records by ID for every task of a process. Each
// reader says how old an entry it accepts (the task's cache= TTL), so tasks
// with different TTLs share one cache. Concurrent misses for one ID make one
// lookup.
type tenantCache struct {
	store  TenantStore
	negTTL time.Duration    // how long an unknown ID is remembered, at most
	now    func() time.Time // replaced by tests

	mu    sync.Mutex
	known map[string]cacheEntry
	bad   map[string]cacheEntry // unknown IDs
	gen   uint64                // bumped by every invalidation

	// Lookups (see load), guarded by mu.
	batcher  tenantBatcher        // nil: look tenants up one by one
	pending  map[string]*loadCall // to look up in the next batch
	inflight map[string]*loadCall // being looked up
	loading  bool                 // runLoads is running

	waiting atomic.Int64 // readers waiting for a lookup, for tests
}

type cacheEntry struct {
	tenant *Tenant
	err    error
	at     time.Time
}

func newTenantCache(store TenantStore, negTTL time.Duration) *tenantCache {
	c := &tenantCache{
		store:  store,
		negTTL: negTTL,
		now:    time.Now,
		known:  make(map[string]cacheEntry),
		bad:    make(map[string]cacheEntry),

		pending:  make(map[string]*loadCall),
		inflight: make(map[string]*loadCall),
	}
	// Only the TableStore itself batches: a store that embeds it to
	// override Tenant must see every lookup.
	if ts, ok := store.(*TableStore); ok {
		c.batcher = ts
	}
	return c
}

// get returns the tenant with the given ID, from the cache if its entry is
// younger than ttl. A ttl of zero or less always looks the tenant up.
func (c *tenantCache) get(ctx context.Context, id string, ttl time.Duration) (*Tenant, error) {
	if ttl > 0 {
		now := c.now()
		c.mu.Lock()
		e, ok := c.known[id]
		if !ok {
			e, ok = c.bad[id]
			ttl = min(ttl, c.negTTL)
		}
		c.mu.Unlock()
		if ok && now.Sub(e.at) < ttl {
			return e.tenant, e.err
		}
	}
	return c.load(ctx, id)
}

// lookup is the result of looking one tenant up.
type lookup struct {
	tenant *Tenant
	err    error
}

// storeLocked caches the result of a lookup made at time at. Tenants and
// unknown IDs are cached; other failures are not. c.mu is held.
func (c *tenantCache) storeLocked(id string, r lookup, at time.Time) {
	switch {
	case r.err == nil:
		c.known[id] = cacheEntry{tenant: r.tenant, at: at}
		delete(c.bad, id)
	case errors.Is(r.err, ErrUnknownTenant):
		if len(c.bad) >= negativeCacheMax {
			clear(c.bad)
		}
		c.bad[id] = cacheEntry{err: r.err, at: at}
		delete(c.known, id)
	}
}

// tenantBatcher is a store that looks several tenants up in one query, as
// TableStore does. Every ID asked for has a result.
type tenantBatcher interface {
	tenantsByID(ctx context.Context, ids []string) (map[string]lookup, error)
}

// loadCall is one lookup of one ID, waited for by every reader of it.
type loadCall struct {
	done chan struct{}
	res  lookup
}

// load looks id up, sharing the lookup with every concurrent reader of it.
// With a batching store, the IDs missed while a batch is in flight gather
// for the next one, so that tasks of many tenants cost one query per
// batch, not one each, and an idle worker's miss waits for nothing but its
// own query. Lookups are detached from the reader's ctx: one task's
// cancellation must not fail the others.
func (c *tenantCache) load(ctx context.Context, id string) (*Tenant, error) {
	c.mu.Lock()
	call := c.inflight[id]
	if call == nil {
		call = c.pending[id]
	}
	if call == nil {
		call = &loadCall{done: make(chan struct{})}
		if c.batcher == nil {
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
		return call.res.tenant, call.res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// loadOne looks one ID up. gen is the cache's generation when it started:
// an invalidation meanwhile means the result may be stale, so it is not
// cached.
func (c *tenantCache) loadOne(id string, call *loadCall, gen uint64) {
	at := c.now()
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	t, err := c.store.Tenant(ctx, id)
	cancel()
	c.mu.Lock()
	call.res = lookup{t, err}
	if c.gen == gen {
		c.storeLocked(id, call.res, at)
	}
	delete(c.inflight, id)
	c.mu.Unlock()
	close(call.done)
}

// runLoads sends the pending IDs to the batcher until none is left.
func (c *tenantCache) runLoads() {
	for {
		c.mu.Lock()
		if len(c.pending) == 0 {
			c.loading = false
			c.mu.Unlock()
			return
		}
		batch, gen := c.pending, c.gen
		c.pending = make(map[string]*loadCall)
		ids := make([]string, 0, len(batch))
		for id, call := range batch {
			c.inflight[id] = call
			ids = append(ids, id)
		}
		c.mu.Unlock()

		at := c.now()
		ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
		res, err := c.batcher.tenantsByID(ctx, ids)
		cancel()

		c.mu.Lock()
		for id, call := range batch {
			call.res = lookup{err: err}
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

// lookupTimeout bounds one lookup, which no reader's context bounds.
const lookupTimeout = 30 * time.Second

// invalidate drops the entry of id; with no ID, every entry.
func (c *tenantCache) invalidate(ids ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if len(ids) == 0 {
		clear(c.known)
		clear(c.bad)
	}
	for _, id := range ids {
		delete(c.known, id)
		delete(c.bad, id)
	}
}
