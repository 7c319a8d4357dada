package runtime

import (
	"context"
	"errors"
	"time"
)

// errNotImplemented marks the parts of the Inspector still being written.
var errNotImplemented = errors.New("tenantgen: not implemented yet")

func (in *Inspector) queues(ctx context.Context, queues []string) ([]QueueInfo, error) {
	return nil, errNotImplemented
}

func (in *Inspector) tenants(ctx context.Context, q TenantQuery) (TenantPage, error) {
	return TenantPage{}, errNotImplemented
}

func (in *Inspector) tasks(ctx context.Context, q TaskQuery) (TaskPage, error) {
	return TaskPage{}, errNotImplemented
}

func (in *Inspector) task(ctx context.Context, queue string, id TaskID) (TaskInfo, error) {
	return TaskInfo{}, errNotImplemented
}

func (in *Inspector) retryNow(ctx context.Context, queue string, id TaskID) error {
	return errNotImplemented
}

func (in *Inspector) requeue(ctx context.Context, queue string, id TaskID) error {
	return errNotImplemented
}

func (in *Inspector) requeueAll(ctx context.Context, queue, tenant string, progress func(done, total int)) (int, error) {
	return 0, errNotImplemented
}

func (in *Inspector) delete(ctx context.Context, queue string, id TaskID) error {
	return errNotImplemented
}

func (in *Inspector) cancel(ctx context.Context, queue string, id TaskID) (TaskState, error) {
	return "", errNotImplemented
}

func (in *Inspector) workers(ctx context.Context) ([]WorkerInfo, error) {
	return nil, errNotImplemented
}

func (in *Inspector) history(ctx context.Context, queue string, since time.Time) ([]Bucket, error) {
	return nil, errNotImplemented
}

func (in *Inspector) scheduler(ctx context.Context) (SchedulerInfo, error) {
	return SchedulerInfo{}, errNotImplemented
}
