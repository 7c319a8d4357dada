package runtime

import (
	"time"

	"github.com/tenantgen/tenantgen/internal/tenantcache"
)

// tenantCache caches tenant records by ID for every task of a process; see
// internal/tenantcache for its rules.
type tenantCache = tenantcache.Cache[Tenant]

// tenantLookup is the result of looking one tenant up.
type tenantLookup = tenantcache.Result[Tenant]

// newTenantCache returns a cache over store that remembers unknown IDs for
// at most negTTL.
func newTenantCache(store TenantStore, negTTL time.Duration) *tenantCache {
	c := tenantcache.Config[Tenant]{Lookup: store.Tenant, Unknown: ErrUnknownTenant, NegativeTTL: negTTL}
	// Only the TableStore itself batches: a store that embeds it to
	// override Tenant must see every lookup.
	if ts, ok := store.(*TableStore); ok {
		c.LookupMany = ts.tenantsByID
	}
	return tenantcache.New(c)
}
