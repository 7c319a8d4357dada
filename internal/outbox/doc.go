// Package outbox is the engine of transactional enqueues: tasks written
// into an outbox table inside the caller's database transaction, and the
// relay that moves committed rows to the Redis queue.
//
// It owns the outbox table's layout (templates/003_outbox.sql creates it)
// and every statement sent to it: the insert of a batch of prepared tasks
// (table.go), the relay loop that takes committed rows in batches, hands
// them to the queue engine and deletes them in one transaction (relay.go),
// the wake-ups of that loop by LISTEN/NOTIFY or by polling (wake.go), and
// the cheap read of the outbox's size and age (stats.go).
//
// Tasks reach it already prepared by the queue engine (a Task converts
// from a queue.Task: signed, encoded, with its lock named), so that a
// relayed task is byte for byte the task a direct enqueue writes, and
// leave it through the Relay's Write func, which package runtime points
// at queue.Client.Relay: idempotent on the task ID, which is what makes a
// relay that dies between Redis and its commit harmless. It must not
// import package runtime nor the queue engine.
package outbox
