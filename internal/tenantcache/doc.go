// Package tenantcache caches the records of tenants by ID for every task of
// a process.
//
// It owns the cache's rules: each reader says how old an entry it accepts,
// unknown IDs are remembered briefly and in bounded number, concurrent
// misses of one ID share one lookup, misses made while a batch lookup is
// in flight gather for the next batch, and an invalidation during a lookup
// keeps its possibly stale result out of the cache. It also owns the
// Redis Pub/Sub subscription through which every process hears of changed
// tenants.
//
// It must not know what a tenant is, nor where tenants are stored: the
// record type is a type parameter and lookups are functions that the
// caller supplies. It never imports the runtime package.
package tenantcache
