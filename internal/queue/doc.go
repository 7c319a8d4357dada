// Package queue is the Redis queue engine behind package runtime: the task
// envelope and its codec, the Redis keys and Lua scripts of a queue, the
// signing of envelopes, the enqueue pipeline, the admin reads and actions
// (Stats, DeadTasks, RequeueDead), and the worker with its background loops.
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
// One file holds each background loop of the worker: fetch.go (the fetch
// loop and its slot accounting), read.go and blocker.go (the reads, blocking
// and on Redis Cluster), ack.go (acknowledgement batching and the
// completer), settle.go, forward.go, heartbeat.go and reclaim.go; run.go
// starts and drains them.
package queue
