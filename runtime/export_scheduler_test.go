package runtime

// CrashAfterEnqueue makes s stop its next ticks right after enqueueing an
// entry, before recording it, and keep its lease: as if the process were
// killed at the worst moment.
func CrashAfterEnqueue(s *Scheduler) { s.engine.CrashAfterEnqueue() }
