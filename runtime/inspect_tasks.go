package runtime

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tenantgen/tenantgen/internal/names"
	"github.com/tenantgen/tenantgen/internal/queue"
)

// maxPage is the largest page of Tasks.
const maxPage = 1000

func (in *Inspector) tasks(ctx context.Context, q TaskQuery) (TaskPage, error) {
	if err := names.CheckQueue(q.Queue); err != nil {
		return TaskPage{}, fmt.Errorf("tenantgen: list tasks: %w", err)
	}
	if !slices.Contains(States, q.State) {
		return TaskPage{}, fmt.Errorf("tenantgen: list tasks: no task state %q; use one of ready, scheduled, retrying, running, dead", q.State)
	}
	if q.Tenant != "" && q.Tenant != "-" {
		if err := names.CheckTenant(q.Tenant); err != nil {
			return TaskPage{}, fmt.Errorf("tenantgen: list tasks: %w", err)
		}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultPage
	}
	limit = min(limit, maxPage)
	offset := max(q.Offset, 0)
	got, more, err := in.app.engine.ListTasks(ctx, queue.TaskFilter{
		Queue: q.Queue, State: string(q.State), Tenant: q.Tenant, Name: q.Task, Offset: offset, Limit: limit,
	})
	if err != nil {
		return TaskPage{}, err
	}
	page := TaskPage{Tasks: make([]TaskInfo, 0, len(got))}
	for _, t := range got {
		page.Tasks = append(page.Tasks, taskInfo(t))
	}
	if more {
		page.Next = offset + len(got)
	}
	return page, nil
}

func (in *Inspector) task(ctx context.Context, q string, id TaskID) (TaskInfo, error) {
	t, err := in.find(ctx, "inspect", q, id)
	if err != nil {
		return TaskInfo{}, err
	}
	return taskInfo(t), nil
}

// find checks queue and id for action and finds the task.
func (in *Inspector) find(ctx context.Context, action, q string, id TaskID) (queue.Task, error) {
	if err := names.CheckQueue(q); err != nil {
		return queue.Task{}, fmt.Errorf("tenantgen: %s task: %w", action, err)
	}
	if id == "" {
		return queue.Task{}, fmt.Errorf("tenantgen: %s task: the task ID is empty", action)
	}
	return in.app.engine.FindTask(ctx, q, string(id))
}

// taskInfo returns t as a TaskInfo.
func taskInfo(t queue.Task) TaskInfo {
	info := TaskInfo{
		ID: TaskID(t.ID), Queue: t.Queue, Partition: t.Partition, State: TaskState(t.State),
		Interrupts: t.Interrupts, Error: t.Error, Due: t.Due, Started: t.Started, Died: t.Died, Worker: t.Worker,
	}
	if e := t.Env; e != nil {
		info.Name, info.Tenant, info.Args, info.Headers = e.Name, e.Tenant, []byte(e.Args), e.Headers
		info.Attempts, info.Retries = e.Attempt, e.Retries
		info.Timeout = time.Duration(e.Timeout) * time.Millisecond
		if e.Deadline != 0 {
			info.Deadline = time.UnixMilli(e.Deadline)
		}
		info.Enqueued = e.EnqueuedAt()
		if info.Error == "" {
			info.Error = e.Error
		}
	}
	if rest, ok := strings.CutPrefix(info.Error, "panic: "); ok {
		if _, stack, ok := strings.Cut(rest, "\n\n"); ok {
			info.Stack = stack
		}
	}
	return info
}
