package oteltenantgen

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// otherTenant is the tenant attribute of every tenant not named.
const otherTenant = "other"

// tenantLabels decides the tenant attribute of a measurement: the tenant
// ID for the tenants allowed or among the busiest, "other" for the rest.
type tenantLabels struct {
	allow  map[string]bool
	top    int
	window time.Duration

	named atomic.Pointer[map[string]bool] // the top tenants, read on every measurement

	mu     sync.Mutex
	counts map[string]int // tasks enqueued and started per tenant in the current window
	ends   time.Time      // of the current window
}

// newTenantLabels returns the labels of allow and the top tenants, or nil
// when neither names a tenant: the tenant is then no metric attribute.
func newTenantLabels(allow []string, top int, window time.Duration) *tenantLabels {
	if len(allow) == 0 && top <= 0 {
		return nil
	}
	l := &tenantLabels{allow: make(map[string]bool, len(allow)), top: top, window: window}
	for _, id := range allow {
		l.allow[id] = true
	}
	l.named.Store(&map[string]bool{})
	return l
}

// label returns the tenant attribute of tenant: "" for a public task.
func (l *tenantLabels) label(tenant string) string {
	if tenant == "" || l.allow[tenant] || (*l.named.Load())[tenant] {
		return tenant
	}
	return otherTenant
}

// seen counts a task enqueued or started for tenant, for the ranking of
// the top tenants.
func (l *tenantLabels) seen(tenant string) {
	if l.top <= 0 || tenant == "" || l.allow[tenant] {
		return
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil || now.After(l.ends) {
		if l.counts != nil {
			l.rank()
		}
		l.counts, l.ends = make(map[string]int), now.Add(l.window)
	}
	l.counts[tenant]++
	named := *l.named.Load()
	if !named[tenant] && len(named) < l.top {
		// Room left: a new tenant is named at once.
		next := make(map[string]bool, len(named)+1)
		for id := range named {
			next[id] = true
		}
		next[tenant] = true
		l.named.Store(&next)
	}
}

// rank names the top tenants of the window that ends.
func (l *tenantLabels) rank() {
	ids := make([]string, 0, len(l.counts))
	for id := range l.counts {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		if d := l.counts[b] - l.counts[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	next := make(map[string]bool, l.top)
	for _, id := range ids[:min(l.top, len(ids))] {
		next[id] = true
	}
	l.named.Store(&next)
}
