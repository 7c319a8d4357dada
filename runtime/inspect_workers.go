package runtime

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/tenantgen/tenantgen/internal/names"
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

func (in *Inspector) workers(ctx context.Context) ([]WorkerInfo, error) {
	got, err := in.app.engine.Workers(ctx, in.app.knownQueues())
	if err != nil {
		return nil, err
	}
	list := make([]WorkerInfo, 0, len(got))
	for _, w := range got {
		info := WorkerInfo{ID: w.ID, Host: w.Host, PID: w.PID, Queues: w.Queues, Concurrency: w.Concurrency, Started: w.Started, LastBeat: w.LastBeat}
		for _, r := range w.Running {
			info.Running = append(info.Running, RunningTask{ID: TaskID(r.ID), Queue: r.Queue, Name: r.Name, Tenant: r.Tenant, Started: r.Started})
		}
		list = append(list, info)
	}
	return list, nil
}

// allQueues returns, sorted, the queues the App knows, those that live
// workers serve, and extra.
func (in *Inspector) allQueues(ctx context.Context, extra []string) ([]string, error) {
	set := map[string]bool{}
	for _, q := range in.app.knownQueues() {
		set[q] = true
	}
	for _, q := range extra {
		if err := names.CheckQueue(q); err != nil {
			return nil, fmt.Errorf("tenantgen: inspect queues: %w", err)
		}
		set[q] = true
	}
	ws, err := in.app.engine.WorkerQueues(ctx)
	if err != nil {
		return nil, err
	}
	for _, q := range ws {
		set[q] = true
	}
	return slices.Sorted(maps.Keys(set)), nil
}

func (in *Inspector) history(ctx context.Context, q string, since time.Time) ([]Bucket, error) {
	if err := names.CheckQueue(q); err != nil {
		return nil, fmt.Errorf("tenantgen: queue history: %w", err)
	}
	got, err := in.app.engine.History(ctx, q, since, time.Now())
	if err != nil {
		return nil, err
	}
	out := make([]Bucket, len(got))
	for i, m := range got {
		out[i] = Bucket{Start: m.Start, Processed: m.Processed, Failed: m.Failed}
	}
	return out, nil
}
