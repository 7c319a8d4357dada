package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/runtime"
)

// memStore is a TenantStore in memory that counts lookups by ID, and
// fails every lookup while down is set.
type memStore struct {
	mu      sync.Mutex
	tenants map[string]*runtime.Tenant
	lookups map[string]int
	down    error
}

func newMemStore(tenants ...runtime.Tenant) *memStore {
	s := &memStore{tenants: map[string]*runtime.Tenant{}, lookups: map[string]int{}}
	for _, t := range tenants {
		s.tenants[t.ID] = &t
	}
	return s
}

func (s *memStore) Tenant(_ context.Context, id string) (*runtime.Tenant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookups[id]++
	if s.down != nil {
		return nil, s.down
	}
	t, ok := s.tenants[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", runtime.ErrUnknownTenant, id)
	}
	c := *t
	return &c, nil
}

func (s *memStore) Tenants(context.Context) ([]*runtime.Tenant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*runtime.Tenant
	for _, t := range s.tenants {
		c := *t
		list = append(list, &c)
	}
	slices.SortFunc(list, func(x, y *runtime.Tenant) int { return strings.Compare(x.ID, y.ID) })
	return list, nil
}

func (s *memStore) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := map[string]int{}
	for id, n := range s.lookups {
		c[id] = n
	}
	return c
}

// checkFixture is an App with a memStore holding the ready tenant acme
// and the tenant paused, not ready.
func checkFixture(t *testing.T, mod func(*runtime.Config)) (*queueBundle, *memStore) {
	t.Helper()
	store := newMemStore(runtime.Tenant{ID: "acme", Schema: "s_acme", Ready: true}, runtime.Tenant{ID: "paused", Schema: "s_paused"})
	b := setupQueue(t, func(c *runtime.Config) {
		c.Tenants = store
		if mod != nil {
			mod(c)
		}
	})
	return b, store
}

func tenantReq(tenant string) runtime.Request {
	return runtime.Request{Name: "test.checked", Tenant: tenant, Args: []byte(`{}`)}
}

func TestEnqueueRefusesUnknownAndUnreadyTenants(t *testing.T) {
	t.Parallel()
	b, _ := checkFixture(t, nil)
	for _, tt := range []struct {
		tenant string
		is     error // nil: enqueued
		msg    string
	}{
		{"acme", nil, ""},
		{"", nil, ""}, // a public task: no tenant to check
		{"ghost", runtime.ErrUnknownTenant, `tenantgen: enqueue task "test.checked": tenant "ghost" refused: unknown tenant (never created, or deleted): create it with App.CreateTenant`},
		{"paused", runtime.ErrTenantNotReady, `tenantgen: enqueue task "test.checked": tenant "paused" refused: not ready`},
	} {
		t.Run("tenant "+tt.tenant, func(t *testing.T) {
			id, err := b.app.Enqueue(t.Context(), tenantReq(tt.tenant))
			if tt.is == nil {
				if err != nil || id == "" {
					t.Fatalf("Enqueue: %q, %v; want an ID and no error", id, err)
				}
				return
			}
			wantError(t, err, tt.msg)
			if !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			var te *runtime.TenantError
			if !errors.As(err, &te) || te.ID != tt.tenant {
				t.Errorf("error %v is not a *TenantError for %q", err, tt.tenant)
			}
			if id != "" {
				t.Errorf("Enqueue returned ID %q with its error", id)
			}
		})
	}
	// Only acme's task and the public one were enqueued.
	st, err := b.app.Stats(t.Context(), "default")
	if err != nil {
		t.Fatal(err)
	}
	if st.Ready != 2 {
		t.Errorf("the queue holds %d tasks, want 2", st.Ready)
	}
}

func TestEnqueueManyLooksEachTenantUpOnce(t *testing.T) {
	t.Parallel()
	b, store := checkFixture(t, nil)
	var reqs []runtime.Request
	for i := range 30 {
		reqs = append(reqs, tenantReq([]string{"acme", "ghost", "paused", "", "acme", "acme"}[i%6]))
	}
	ids, err := b.app.EnqueueMany(t.Context(), reqs)
	var be *runtime.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("EnqueueMany: %v, want a *BatchError", err)
	}
	var refused []int
	for _, ie := range be.Errs {
		refused = append(refused, ie.Index)
		if !errors.Is(ie.Err, runtime.ErrUnknownTenant) && !errors.Is(ie.Err, runtime.ErrTenantNotReady) {
			t.Errorf("request %d: %v", ie.Index, ie.Err)
		}
	}
	var want []int
	for i, r := range reqs {
		if r.Tenant == "ghost" || r.Tenant == "paused" {
			want = append(want, i)
		}
		if enqueued := ids[i] != ""; enqueued == slices.Contains(want, i) {
			t.Errorf("request %d for %q: ID %q", i, r.Tenant, ids[i])
		}
	}
	if diff := cmp.Diff(want, refused); diff != "" {
		t.Errorf("refused requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"acme": 1, "ghost": 1, "paused": 1}, store.counts()); diff != "" {
		t.Errorf("lookups per tenant (-want +got):\n%s", diff)
	}
}

// TestEnqueueEachTenantLooksNothingUp: a fan-out to every tenant enqueues
// for the tenants it has just listed as ready without looking each up
// again, but still checks a tenant the callback names itself.
func TestEnqueueEachTenantLooksNothingUp(t *testing.T) {
	t.Parallel()
	b, store := checkFixture(t, nil)
	n, err := runtime.EnqueueEachTenant(t.Context(), b.app, func(ctx context.Context, e runtime.Enqueuer) error {
		id, _ := runtime.TenantIDFrom(ctx)
		if _, err := e.Enqueue(ctx, tenantReq(id)); err != nil {
			return err
		}
		_, err := e.Enqueue(ctx, tenantReq("ghost"))
		return err
	})
	var be *runtime.BatchError
	if !errors.As(err, &be) || len(be.Errs) != 1 || !errors.Is(be.Errs[0].Err, runtime.ErrUnknownTenant) {
		t.Fatalf("EnqueueEachTenant: %v, want one request refused for the unknown tenant", err)
	}
	if n != 1 {
		t.Errorf("EnqueueEachTenant enqueued %d tasks, want 1 (acme's)", n)
	}
	if diff := cmp.Diff(map[string]int{"ghost": 1}, store.counts()); diff != "" {
		t.Errorf("lookups per tenant (-want +got):\n%s", diff)
	}
}

func TestEnqueueTenantStoreDown(t *testing.T) {
	t.Parallel()
	b, store := checkFixture(t, nil)
	store.down = errors.New("connection refused")
	_, err := b.app.Enqueue(t.Context(), tenantReq("acme"))
	wantError(t, err, `tenantgen: enqueue task "test.checked": check tenant "acme": connection refused (nothing was enqueued`, "Config.SkipTenantCheck")
	if errors.Is(err, runtime.ErrUnknownTenant) {
		t.Errorf("error %v wraps ErrUnknownTenant", err)
	}
}

func TestSkipTenantCheck(t *testing.T) {
	t.Parallel()
	b, store := checkFixture(t, func(c *runtime.Config) { c.SkipTenantCheck = true })
	store.down = errors.New("connection refused")
	for _, tenant := range []string{"acme", "ghost", "paused"} {
		if _, err := b.app.Enqueue(t.Context(), tenantReq(tenant)); err != nil {
			t.Errorf("Enqueue for %q with SkipTenantCheck: %v", tenant, err)
		}
	}
	if n := store.counts(); len(n) != 0 {
		t.Errorf("lookups with SkipTenantCheck: %v, want none", n)
	}
}
