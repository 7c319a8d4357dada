package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// NoCache, as TaskSpec.Cache, turns the tenant cache off for a task even when
// the App's configuration sets a default TTL. The directive option cache=0
// generates it.
const NoCache time.Duration = -1

// NoRetries is the retry count that means none: a failed task goes straight
// to the dead letter set. Every retry count of the API follows one rule: 0
// means the default of the next level (an enqueue option's, then the
// task's TaskSpec.Retries, then Config.DefaultRetries, then 10), and
// NoRetries means none. The directive option retries=0 generates it, and
// Retries(NoRetries) or Config.DefaultRetries = NoRetries set it.
const NoRetries = -1

// TaskSpec holds the settings of a task. Generated code fills it from the
// options of a //tenant:task directive; a zero field means "use the App's
// default".
type TaskSpec struct {
	// Name is the task's stable name, stored with every queued task. It
	// defaults to "<import path>.<Func>" in generated code; set it with the
	// name= option to rename or move the function without orphaning tasks
	// already in the queue.
	Name string

	// Queue is the queue the task is enqueued on.
	Queue string

	// Retries is the number of retries after a failed attempt: 0 for the
	// App's default, NoRetries for none.
	Retries int

	// Timeout bounds each attempt; the task's ctx is cancelled when it expires.
	Timeout time.Duration

	// Cache is how long the worker may reuse a cached tenant record for this
	// task, or NoCache.
	Cache time.Duration

	// DBs lists the aliases of the databases switched to the tenant's schema
	// while the task runs.
	DBs []string

	// Unique, when positive, makes enqueueing the same task for the same
	// tenant with the same arguments a no-op for that long.
	Unique time.Duration

	// Public marks a task that runs without a tenant, in the shared schema.
	Public bool

	// TenantConcurrency, when positive, caps how many of this task run at
	// once for one tenant, across every worker process. A tenant at its cap
	// waits without blocking other tenants and without spending retries. The
	// directive option tenant_concurrency= sets it.
	TenantConcurrency int

	// TenantRate, when set, caps how often this task starts for one tenant,
	// across every worker process. The directive option tenant_rate= sets
	// it.
	TenantRate Rate

	// Cron, if set, is a cron spec ("*/5 * * * *", "@hourly") on which the
	// App's scheduler enqueues the task: for every ready tenant, or once in
	// the shared schema for a public task (see Scheduler). Only a task
	// without arguments may have one; the directive option cron= sets it.
	Cron string
}

// Definition is a task as a Registry and a worker see it: its settings, and a
// way to run it from encoded arguments. *Task[T] implements it.
type Definition interface {
	// Spec returns the task's settings.
	Spec() TaskSpec

	// Run decodes args and calls the task's function.
	Run(ctx context.Context, args []byte) error
}

// Task is a task whose function takes arguments of type T. T is encoded as
// JSON on the queue. Generated code declares one Task per //tenant:task
// function; the explicit type argument makes a stale declaration fail to
// compile when the function's signature changes.
type Task[T any] struct {
	spec TaskSpec
	fn   func(context.Context, T) error
}

// NewTask returns a task that runs fn with the given settings. Settings are
// checked when the task is registered (see Registry.Register), so NewTask is
// safe in package-level variable declarations.
func NewTask[T any](spec TaskSpec, fn func(context.Context, T) error) *Task[T] {
	spec.DBs = append([]string(nil), spec.DBs...)
	return &Task[T]{spec: spec, fn: fn}
}

// Spec returns the task's settings.
func (t *Task[T]) Spec() TaskSpec {
	s := t.spec
	s.DBs = append([]string(nil), s.DBs...)
	return s
}

// Run decodes args as JSON into a T and calls the task's function with it.
func (t *Task[T]) Run(ctx context.Context, args []byte) error {
	var v T
	if _, ok := any(&v).(*NoArgs); ok && string(args) == "[]" {
		return t.fn(ctx, v) // what decoding [] into NoArgs gives, without reflection
	}
	if err := json.Unmarshal(args, &v); err != nil {
		return fmt.Errorf("tenantgen: decode arguments of task %q: %w", t.spec.Name, err)
	}
	return t.fn(ctx, v)
}

// NewRequest encodes args and applies opts over the task's settings, giving
// the Request that Enqueue would pass to an Enqueuer. Use it to build batches.
func (t *Task[T]) NewRequest(ctx context.Context, args T, opts ...EnqueueOption) (Request, error) {
	data, err := json.Marshal(args)
	if err != nil {
		return Request{}, fmt.Errorf("tenantgen: encode arguments of task %q: %w", t.spec.Name, err)
	}
	return newRequest(ctx, t.spec, data, opts)
}

// Enqueue encodes args and enqueues the task on e, for the tenant in ctx (see
// WithTenant) unless an option says otherwise.
func (t *Task[T]) Enqueue(ctx context.Context, e Enqueuer, args T, opts ...EnqueueOption) (TaskID, error) {
	if e == nil {
		return "", fmt.Errorf("tenantgen: enqueue task %q: nil Enqueuer", t.spec.Name)
	}
	req, err := t.NewRequest(ctx, args, opts...)
	if err != nil {
		return "", err
	}
	return e.Enqueue(ctx, req)
}
