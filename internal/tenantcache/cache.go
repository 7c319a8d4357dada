package tenantcache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// negativeCacheMax bounds the number of unknown IDs remembered, so that a
// flood of bogus IDs cannot grow the cache without limit.
const negativeCacheMax = 1024

// lookupTimeout bounds one lookup, which no reader's context bounds.
const lookupTimeout = 30 * time.Second

// Result is the outcome of looking one ID up.
type Result[T any] struct {
	Value *T
	Err   error
}

// Config says how a Cache looks records up.
type Config[T any] struct {
	// Lookup looks one record up.
	Lookup func(ctx context.Context, id string) (*T, error)

	// LookupMany, if set, looks several records up in one query and
	// returns a result for every ID. The cache then batches its misses.
	LookupMany func(ctx context.Context, ids []string) (map[string]Result[T], error)

	// Unknown is the error that lookups of an ID with no record wrap.
	// Such results are cached, for at most NegativeTTL; other failures
	// are not cached.
	Unknown     error
	NegativeTTL time.Duration
}

// Cache caches records of type T by ID. Each reader says how old an entry
// it accepts, so readers with different TTLs share one cache. Concurrent
// misses for one ID make one lookup. It is safe for concurrent use.
type Cache[T any] struct {
	lookup     func(ctx context.Context, id string) (*T, error)
	lookupMany func(ctx context.Context, ids []string) (map[string]Result[T], error) // nil: one by one
	unknown    error
	negTTL     time.Duration    // how long an unknown ID is remembered, at most
	now        func() time.Time // replaced by tests

	mu    sync.Mutex
	known map[string]entry[T]
	bad   map[string]entry[T] // unknown IDs
	gen   uint64              // bumped by every invalidation

	// Lookups (see load), guarded by mu.
	pending  map[string]*loadCall[T] // to look up in the next batch
	inflight map[string]*loadCall[T] // being looked up
	loading  bool                    // runLoads is running

	waiting atomic.Int64 // readers waiting for a lookup, for tests
}

type entry[T any] struct {
	value *T
	err   error
	at    time.Time
}

// New returns an empty cache.
func New[T any](c Config[T]) *Cache[T] {
	return &Cache[T]{
		lookup:     c.Lookup,
		lookupMany: c.LookupMany,
		unknown:    c.Unknown,
		negTTL:     c.NegativeTTL,
		now:        time.Now,
		known:      make(map[string]entry[T]),
		bad:        make(map[string]entry[T]),
		pending:    make(map[string]*loadCall[T]),
		inflight:   make(map[string]*loadCall[T]),
	}
}

// Get returns the record with the given ID, from the cache if its entry is
// younger than ttl. A ttl of zero or less always looks the record up.
func (c *Cache[T]) Get(ctx context.Context, id string, ttl time.Duration) (*T, error) {
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
			return e.value, e.err
		}
	}
	return c.load(ctx, id)
}

// Invalidate drops the entry of each ID; with no ID, every entry. A
// lookup in flight meanwhile is not cached.
func (c *Cache[T]) Invalidate(ids ...string) {
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

// storeLocked caches the result of a lookup made at time at. Records and
// unknown IDs are cached; other failures are not. c.mu is held.
func (c *Cache[T]) storeLocked(id string, r Result[T], at time.Time) {
	switch {
	case r.Err == nil:
		c.known[id] = entry[T]{value: r.Value, at: at}
		delete(c.bad, id)
	case errors.Is(r.Err, c.unknown):
		if len(c.bad) >= negativeCacheMax {
			clear(c.bad)
		}
		c.bad[id] = entry[T]{err: r.Err, at: at}
		delete(c.known, id)
	}
}
