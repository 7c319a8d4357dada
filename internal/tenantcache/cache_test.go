package tenantcache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// record stands in for the runtime's Tenant: the cache knows nothing of
// what it holds.
type record struct {
	ID     string
	Schema string
	Ready  bool
}

// errUnknown stands in for the runtime's errUnknown.
var errUnknown = errors.New("unknown tenant")

// countingStore is a store of records over a map that counts lookups and
// can hold them until released. It stands in for the tenants table so
// that the cache's own logic is tested; the table store is tested against
// PostgreSQL in runtime/tenancy_test.go.
type countingStore struct {
	mu      sync.Mutex
	tenants map[string]record
	lookups atomic.Int64
	hold    chan struct{} // if set, lookups wait for it to close
	started chan struct{} // if set, receives once per lookup
}

func (s *countingStore) lookup(ctx context.Context, id string) (*record, error) {
	s.lookups.Add(1)
	if s.started != nil {
		s.started <- struct{}{}
	}
	if s.hold != nil {
		<-s.hold
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tenants[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", errUnknown, id)
	}
	return &t, nil
}

func (s *countingStore) set(t record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tenants[t.ID] = t
}

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func newTestCache(t *testing.T) (*Cache[record], *countingStore, *fakeClock) {
	t.Helper()
	store := &countingStore{tenants: map[string]record{"acme": {ID: "acme", Schema: "acme", Ready: true}}}
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	c := New(Config[record]{Lookup: store.lookup, Unknown: errUnknown, NegativeTTL: time.Second})
	c.now = clock.Now
	return c, store, clock
}

func TestCacheTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, store, clock := newTestCache(t)
	first, err := c.Get(ctx, "acme", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(29 * time.Second)
	again, _ := c.Get(ctx, "acme", 30*time.Second)
	if again != first {
		t.Error("within the TTL, the cache returned a different object")
	}
	// A reader with a shorter TTL than the entry's age looks up afresh,
	// and its fresh record serves the longer-TTL reader from then on.
	short, _ := c.Get(ctx, "acme", 10*time.Second)
	if short == first {
		t.Error("a reader with a 10s TTL got a 29s old entry")
	}
	clock.Advance(2 * time.Second)
	if got, _ := c.Get(ctx, "acme", 30*time.Second); got != short {
		t.Error("the 30s reader did not get the entry refreshed by the 10s reader")
	}
	clock.Advance(31 * time.Second)
	if got, _ := c.Get(ctx, "acme", 30*time.Second); got == short {
		t.Error("after the TTL, the cache returned the old object")
	}
	if got, _ := c.Get(ctx, "acme", 0); got == nil {
		t.Error("no tenant with TTL 0")
	}
	if n := store.lookups.Load(); n != 4 {
		t.Errorf("lookups = %d, want 4 (first, 10s reader, after TTL, TTL 0)", n)
	}
}

func TestCacheNegative(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, store, clock := newTestCache(t)
	for range 3 {
		if _, err := c.Get(ctx, "ghost", time.Hour); !errors.Is(err, errUnknown) {
			t.Fatalf("get(ghost) = %v, want errUnknown", err)
		}
	}
	if n := store.lookups.Load(); n != 1 {
		t.Errorf("lookups = %d, want 1: unknown IDs are remembered", n)
	}
	// Remembered for UnknownTenantCache (1s), not the reader's hour: a
	// tenant created meanwhile is found soon.
	store.set(record{ID: "ghost", Schema: "ghost", Ready: true})
	clock.Advance(time.Second)
	if _, err := c.Get(ctx, "ghost", time.Hour); err != nil {
		t.Errorf("a second later: %v, want the new tenant", err)
	}
}

func TestCacheSharesConcurrentMisses(t *testing.T) {
	t.Parallel()
	c, store, _ := newTestCache(t)
	store.hold = make(chan struct{})
	store.started = make(chan struct{}, 100)
	const readers = 20
	var wg sync.WaitGroup
	results := make([]*record, readers)
	for i := range readers {
		wg.Go(func() {
			results[i], _ = c.Get(context.Background(), "acme", 0)
		})
	}
	<-store.started // one lookup is in flight
	deadline := time.Now().Add(10 * time.Second)
	for c.waiting.Load() < readers {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d readers waiting", c.waiting.Load(), readers)
		}
		time.Sleep(time.Millisecond)
	}
	close(store.hold)
	wg.Wait()
	if n := store.lookups.Load(); n != 1 {
		t.Errorf("%d concurrent readers made %d lookups, want 1", readers, n)
	}
	for i, r := range results {
		if r == nil || r.ID != "acme" {
			t.Fatalf("reader %d got %v", i, r)
		}
	}
}

func TestCacheInvalidate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, store, _ := newTestCache(t)
	first, _ := c.Get(ctx, "acme", time.Hour)
	store.set(record{ID: "acme", Schema: "acme", Ready: false})
	if got, _ := c.Get(ctx, "acme", time.Hour); got != first {
		t.Fatal("the cache did not serve its entry")
	}
	c.Invalidate("acme")
	if got, _ := c.Get(ctx, "acme", time.Hour); got.Ready {
		t.Error("after invalidate, the cache still served the old record")
	}
	c.Invalidate()
	if got, _ := c.Get(ctx, "acme", time.Hour); got == first {
		t.Error("after invalidating everything, the cache served an old record")
	}
}

// A lookup that started before an invalidation must not store its
// possibly stale result.
func TestCacheInvalidateDuringLookup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, store, _ := newTestCache(t)
	store.hold = make(chan struct{})
	store.started = make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		c.Get(ctx, "acme", time.Hour)
		close(done)
	}()
	<-store.started
	c.Invalidate("acme")
	close(store.hold)
	<-done
	store.hold, store.started = nil, nil
	before := store.lookups.Load()
	c.Get(ctx, "acme", time.Hour)
	if store.lookups.Load() != before+1 {
		t.Error("the result of a lookup overtaken by an invalidation was cached")
	}
}

// batchingStore is a LookupMany over a countingStore that records the
// size of each batch and can hold batches until released.
type batchingStore struct {
	*countingStore
	mu      sync.Mutex
	batches []int
	hold    chan struct{}
	started chan struct{}
}

func (s *batchingStore) tenantsByID(ctx context.Context, ids []string) (map[string]Result[record], error) {
	s.mu.Lock()
	s.batches = append(s.batches, len(ids))
	s.mu.Unlock()
	if s.started != nil {
		s.started <- struct{}{}
	}
	if s.hold != nil {
		<-s.hold
	}
	res := make(map[string]Result[record])
	for _, id := range ids {
		t, err := s.countingStore.lookup(ctx, id)
		res[id] = Result[record]{t, err}
	}
	return res, nil
}

func TestCacheBatchesMisses(t *testing.T) {
	t.Parallel()
	c, store, _ := newTestCache(t)
	for i := range 30 {
		store.set(record{ID: fmt.Sprint("t", i), Schema: fmt.Sprint("s", i), Ready: true})
	}
	bs := &batchingStore{countingStore: store, hold: make(chan struct{}), started: make(chan struct{}, 10)}
	c.lookupMany = bs.tenantsByID
	ctx := context.Background()

	// The first miss goes out alone, at once.
	first := make(chan error, 1)
	go func() { _, err := c.Get(ctx, "t0", 0); first <- err }()
	<-bs.started
	// While it is in flight, the misses of t0 again, of t1 to t29 and of
	// an unknown tenant gather: t0 joins the batch in flight, the others
	// make a single second batch.
	const readers = 32
	var wg sync.WaitGroup
	errs := make([]error, readers)
	got := make([]*record, readers)
	for i := range readers {
		id := fmt.Sprint("t", max(i-1, 0)%30)
		if i == readers-1 {
			id = "ghost"
		}
		wg.Go(func() { got[i], errs[i] = c.Get(ctx, id, 0) })
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.waiting.Load() < readers+1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d readers waiting, want %d", c.waiting.Load(), readers+1)
		}
		time.Sleep(time.Millisecond)
	}
	close(bs.hold)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for i := range readers - 1 {
		if errs[i] != nil || got[i] == nil {
			t.Errorf("reader %d: %v, %v", i, got[i], errs[i])
		}
	}
	if !errors.Is(errs[readers-1], errUnknown) {
		t.Errorf("ghost: %v, want errUnknown", errs[readers-1])
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if diff := cmp.Diff([]int{1, 30}, bs.batches); diff != "" {
		t.Errorf("batch sizes (-want +got):\n%s", diff)
	}
}
