package runtime

import (
	"context"
	"time"
)

// WorkerInfo is a live worker process as Workers reports it.
type WorkerInfo struct {
	ID          string // host-pid-random, its consumer name in every queue
	Host        string
	PID         int
	Queues      []string // by descending priority
	Concurrency int
	Started     time.Time
	LastBeat    time.Time
	Running     []RunningTask // sorted by start
}

// RunningTask is a task a worker runs.
type RunningTask struct {
	ID      TaskID
	Queue   string
	Name    string
	Tenant  string
	Started time.Time // when the worker read it
}

// Workers returns the live worker processes, by ID, with what each runs.
func (in *Inspector) Workers(ctx context.Context) ([]WorkerInfo, error) {
	return in.workers(ctx)
}

// Bucket is one minute of a queue's history.
type Bucket struct {
	Start     time.Time // the minute's start
	Processed int64     // attempts that ended: succeeded or failed
	Failed    int64     // attempts that failed (retried or dead)
}

// History returns a queue's processed and failed counts per minute from
// since (at most an hour ago) to now, oldest first, one Bucket per minute,
// zeros included. Workers count attempts in memory and add them to Redis
// with each heartbeat, so the last seconds show up within a Heartbeat.
func (in *Inspector) History(ctx context.Context, queue string, since time.Time) ([]Bucket, error) {
	return in.history(ctx, queue, since)
}
