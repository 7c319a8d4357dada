package runtime

import (
	"context"
	"time"
)

// QueueStats counts the tasks of a queue.
type QueueStats struct {
	Ready     int64 // waiting for a worker
	Running   int64 // delivered to a worker and not yet settled
	Scheduled int64 // delayed, or waiting for a retry
	Dead      int64 // in the dead letter set
}

// Stats counts the tasks of queue.
func (a *App) Stats(ctx context.Context, queue string) (QueueStats, error) {
	st, err := a.engine.Stats(ctx, queue)
	return QueueStats(st), err
}

// DeadTask is a task in the dead letter set.
type DeadTask struct {
	ID       TaskID
	Name     string
	Tenant   string
	Queue    string
	Args     []byte
	Attempts int       // attempts made
	Error    string    // the last attempt's error, or why it never ran
	Enqueued time.Time // first enqueue
	Died     time.Time // when it was given up
}

// DefaultDeadTasksLimit is how many tasks DeadTasks returns when its limit
// is zero or negative.
const DefaultDeadTasksLimit = 100

// DeadTasks returns up to limit tasks of the dead letter set of queue,
// newest first. A limit of zero or less means DefaultDeadTasksLimit, so
// that a forgotten limit never loads a whole dead letter set into memory.
func (a *App) DeadTasks(ctx context.Context, queue string, limit int) ([]DeadTask, error) {
	if limit <= 0 {
		limit = DefaultDeadTasksLimit
	}
	dead, err := a.engine.DeadTasks(ctx, queue, limit)
	if err != nil {
		return nil, err
	}
	var list []DeadTask
	for _, d := range dead {
		list = append(list, DeadTask{
			ID: TaskID(d.ID), Name: d.Name, Tenant: d.Tenant, Queue: d.Queue, Args: d.Args,
			Attempts: d.Attempts, Error: d.Error, Enqueued: d.Enqueued, Died: d.Died,
		})
	}
	return list, nil
}

// RequeueDead moves the dead task id of queue back to its queue, with a
// fresh set of retries.
func (a *App) RequeueDead(ctx context.Context, queue string, id TaskID) error {
	return a.engine.RequeueDead(ctx, queue, string(id))
}
