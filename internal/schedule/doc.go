// Package schedule decides what a scheduler enqueues and when: the ticks
// of each entry (cron specs and intervals aligned to the Unix epoch), the
// ticks due at a tick of the clock under a missed-tick policy, the
// deterministic task ID of each tick and target, the spread of a tick's
// tasks, the entries declared in Go, by cron specs and in the periodic
// tasks tables, and the Engine whose Tick fires the due ticks of every
// entry under a lease.
//
// It owns the scheduler's state hash in Redis (the last handled tick of
// each entry) and the SQL that reads and writes back the periodic tasks
// tables. It must not import the runtime package: it lists tenants,
// looks tasks up and enqueues through the funcs of Config, takes the lease
// through the Lease interface (internal/leader provides one), and knows
// tasks only by name and whether they are public.
package schedule
