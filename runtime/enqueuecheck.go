package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tenantgen/tenantgen/internal/names"
)

// ErrTenantNotReady is wrapped by the error of an enqueue for a tenant that
// exists but is not ready: still being provisioned or migrated by
// CreateTenant, or disabled with UpdateTenant. Its tasks would be refused
// by the worker.
var ErrTenantNotReady = errors.New("tenantgen: tenant not ready")

const (
	// enqueueCheckTTL is how old a cached tenant record the enqueue check
	// accepts at least (Config.TenantCache if longer): a request handler
	// that enqueues for every request then costs one lookup per tenant per
	// second, not one per task. The worker checks again, so a record a
	// second stale only delays the refusal of a just-deleted tenant's task
	// to its worker.
	enqueueCheckTTL = time.Second

	// enqueueCheckLookups bounds the lookups that one batch runs at once,
	// for tenant stores that look tenants up one by one.
	enqueueCheckLookups = 16
)

// checkTenants looks up, through the tenant cache, each distinct tenant of
// reqs once, and returns by request index the error of each request whose
// tenant is unknown or not ready, or could not be looked up. Requests
// without a tenant (public tasks) are exempt, those with an invalid tenant
// ID are left to the envelope's checks, and the tenants in listed are
// trusted: the caller has just listed them from the store as ready (a
// fan-out to every tenant looks none of them up again). It returns nil when the App
// has no tenant store, with Config.SkipTenantCheck, or when every tenant
// is fine.
func (a *App) checkTenants(ctx context.Context, reqs []Request, listed map[string]bool) map[int]error {
	if a.cache == nil || a.cfg.SkipTenantCheck {
		return nil
	}
	byTenant := map[string][]int{}
	for i, r := range reqs {
		if r.Tenant != "" && !listed[r.Tenant] && names.CheckTenant(r.Tenant) == nil {
			byTenant[r.Tenant] = append(byTenant[r.Tenant], i)
		}
	}
	if len(byTenant) == 0 {
		return nil
	}
	ttl := max(a.cfg.TenantCache, enqueueCheckTTL)
	var (
		mu      sync.Mutex
		refused map[int]error
		wg      sync.WaitGroup
	)
	sem := make(chan struct{}, enqueueCheckLookups)
	for id, idx := range byTenant {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			// Concurrent misses of a TableStore share one query.
			t, err := a.cache.Get(ctx, id, ttl)
			if err = tenantRefusal(id, t, err); err == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if refused == nil {
				refused = make(map[int]error)
			}
			for _, i := range idx {
				refused[i] = fmt.Errorf("tenantgen: enqueue task %q: %w", reqs[i].Name, err)
			}
		})
	}
	wg.Wait()
	return refused
}

// tenantRefusal returns why a task cannot be enqueued for tenant id, given
// the outcome of looking it up: t, or err.
func tenantRefusal(id string, t *Tenant, err error) error {
	var te *TenantError
	switch {
	case errors.Is(err, ErrUnknownTenant):
		return &TenantError{ID: id, Reason: "unknown tenant (never created, or deleted): create it with App.CreateTenant before enqueueing its tasks", Err: ErrUnknownTenant}
	case errors.As(err, &te):
		return err
	case err != nil:
		return fmt.Errorf("check tenant %q: %w (nothing was enqueued: retry later, or set Config.SkipTenantCheck to enqueue without checking)", id, err)
	case t == nil || !t.Ready:
		return &TenantError{ID: id, Reason: "not ready (still being provisioned or migrated, or disabled): its tasks would be refused", Err: ErrTenantNotReady}
	}
	return nil
}
