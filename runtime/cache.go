package runtime

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
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

	group   singleflight.Group
	waiting atomic.Int64 // readers waiting for a lookup, for tests
}

type cacheEntry struct {
	tenant *Tenant
	err    error
	at     time.Time
}

func newTenantCache(store TenantStore, negTTL time.Duration) *tenantCache {
	return &tenantCache{
		store:  store,
		negTTL: negTTL,
		now:    time.Now,
		known:  make(map[string]cacheEntry),
		bad:    make(map[string]cacheEntry),
	}
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
	c.waiting.Add(1)
	defer c.waiting.Add(-1)
	v, err, _ := c.group.Do(id, func() (any, error) {
		c.mu.Lock()
		gen := c.gen
		c.mu.Unlock()
		at := c.now()
		// The lookup serves every waiting task: one task's cancellation
		// must not fail the others.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		t, err := c.store.Tenant(lctx, id)
		unknown := errors.Is(err, ErrUnknownTenant)
		if err != nil && !unknown {
			return nil, err // a failed lookup is not cached
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.gen != gen {
			return t, err // invalidated meanwhile: do not cache what may be stale
		}
		if unknown {
			if len(c.bad) >= negativeCacheMax {
				clear(c.bad)
			}
			c.bad[id] = cacheEntry{err: err, at: at}
			delete(c.known, id)
		} else {
			c.known[id] = cacheEntry{tenant: t, at: at}
			delete(c.bad, id)
		}
		return t, err
	})
	t, _ := v.(*Tenant)
	return t, err
}

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
