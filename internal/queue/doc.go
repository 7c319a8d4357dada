// Package queue is the Redis queue engine behind package runtime: the task
// envelope and its codec, the Redis keys and Lua scripts of a queue, the
// signing of envelopes, the enqueue pipeline, the admin reads and actions
// (Stats, DeadTasks, RequeueDead, pause and resume, tenant limits, and the
// Inspector's reads and actions), and the worker with its background loops.
//
// Within a queue, tenants are the unit of scheduling: ready tasks wait in
// one list per lane (a tenant, the public tasks, or a tenant and a task
// with limits of its own), and the fetch script takes the lanes of the
// ring in turn, weighted, parking those of paused tenants and those at
// their concurrency caps or rates. A queue may be split into partitions,
// each under a hash tag of its own.
//
// It owns the Redis key layout and every command sent under it; docs/queue.md
// describes both, and they must not change without a new envelope version
// or key name.
//
// It knows nothing of tasks beyond their envelopes: the worker hands each
// delivery to a Runner, which package runtime implements with its Registry,
// its handler chain and its tenancy. The engine must not import runtime,
// touch databases or tenants, or read runtime's Config: runtime translates
// Config into this package's Config in one place.
//
// Files: keys.go (the layout, routing, partitions), scripts.go (the shared
// Lua, settle, reclaim), scripts_lanes.go (enqueue, forward, ack of counted
// tasks, fetch), relay.go (the idempotent write of tasks relayed from an
// outbox), pipe.go (scripts in pipelines), limits.go, pause.go, and
// one file per background loop of the worker: fetch.go (the fetch loop and
// its slot accounting; ahead.go sizes its reads beyond the free slots),
// read.go and blocker.go (fetches, waits for wake
// tokens, Redis Cluster), ack.go (acknowledgement batching and the
// completer), settle.go, forward.go, heartbeat.go, reclaim.go and own.go
// (the worker's own pending entries, retries of failed acks and settles);
// run.go starts and drains them. The Inspector's side: inspect.go (queue
// counts), inspect_tenants.go, inspect_tasks.go and inspect_find.go
// (listing and finding tasks), inspect_actions.go, inspect_workers.go,
// inspect_lua.go (the dead letter index by tenant, lane reads), history.go
// (the workers' attempt counts) and cancel.go (cancelling running tasks).
package queue
