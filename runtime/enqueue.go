package runtime

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/tenantgen/tenantgen/internal/names"
)

// TaskID identifies one enqueued task.
type TaskID string

// Enqueuer puts tasks on a queue. Generated Enqueue functions take one, so
// callers can pass the App, a transaction-bound enqueuer or a test double.
type Enqueuer interface {
	// Enqueue queues req and returns the new task's ID.
	Enqueue(ctx context.Context, req Request) (TaskID, error)
}

// Request is one task ready for an Enqueuer: its name and JSON-encoded
// arguments, with the task's settings merged with the caller's options. A zero
// field means "use the default".
type Request struct {
	Name    string        // task name
	Args    []byte        // JSON-encoded arguments
	Tenant  string        // tenant ID; empty only for a public task
	Queue   string        // queue name
	Retries int           // retries after a failed attempt; 0: the default, NoRetries: none
	Timeout time.Duration // bound on each attempt
	Unique  time.Duration // dedup window for the same task, tenant and arguments
	RunAt   time.Time     // earliest start; zero means now

	// Deadline, if set, is when the task expires: a task not started by
	// then goes to the dead letter set instead of running late.
	Deadline time.Time

	// Headers carry trace and metadata values to the worker (see Job).
	Headers map[string]string

	// ID, if set, is the task's ID; empty means a new random one. Set it
	// to make the ID known before enqueueing, e.g. to store it with the
	// work it belongs to.
	ID TaskID

	// UniqueKey, if set, replaces the task, tenant and arguments as what
	// Unique deduplicates on: an idempotency key. The scheduler uses one
	// per entry, tenant and tick.
	UniqueKey string
}

// ErrNoTenant is returned when a task that is not public is enqueued without
// a tenant in the context or a ForTenant option.
var ErrNoTenant = errors.New("tenantgen: no tenant: set one with runtime.WithTenant(ctx, id) or runtime.ForTenant(id), or mark the task public")

// newRequest builds the Request for a task with settings spec and encoded
// arguments args, taking the tenant from ctx and applying opts in order.
func newRequest(ctx context.Context, spec TaskSpec, args []byte, opts []EnqueueOption) (Request, error) {
	req := Request{
		Name:    spec.Name,
		Args:    args,
		Queue:   spec.Queue,
		Retries: spec.Retries,
		Timeout: spec.Timeout,
		Unique:  spec.Unique,
	}
	if !spec.Public {
		req.Tenant, _ = TenantIDFrom(ctx)
	}
	for _, o := range opts {
		if err := o.apply(&req); err != nil {
			return Request{}, fmt.Errorf("tenantgen: enqueue task %q: %w", spec.Name, err)
		}
	}
	switch {
	case spec.Public && req.Tenant != "":
		return Request{}, fmt.Errorf("tenantgen: enqueue task %q: the task is public and runs without a tenant; drop the ForTenant(%q) option", spec.Name, req.Tenant)
	case !spec.Public && req.Tenant == "":
		return Request{}, fmt.Errorf("enqueue task %q: %w", spec.Name, ErrNoTenant)
	}
	return req, nil
}

// EnqueueOption changes how one task is enqueued. Options are values, so they
// can be printed and compared in tests.
type EnqueueOption interface {
	// String describes the option for logs and test failures, e.g.
	// runtime.Queue("billing").
	String() string

	apply(*Request) error
}

type queueOption string

// Queue enqueues the task on the named queue instead of the task's own.
func Queue(name string) EnqueueOption { return queueOption(name) }

func (o queueOption) String() string { return fmt.Sprintf("runtime.Queue(%q)", string(o)) }

func (o queueOption) apply(r *Request) error {
	if err := names.CheckQueue(string(o)); err != nil {
		return err
	}
	r.Queue = string(o)
	return nil
}

type retriesOption int

// Retries sets how many times the task is retried after a failed attempt,
// over its directive's retries= option: n is at least 1, or NoRetries for
// none. As in every retry count of the API (see NoRetries), 0 would mean
// "the default", so Retries(0) is an error that says to use NoRetries.
func Retries(n int) EnqueueOption { return retriesOption(n) }

func (o retriesOption) String() string { return fmt.Sprintf("runtime.Retries(%d)", int(o)) }

func (o retriesOption) apply(r *Request) error {
	switch {
	case o < NoRetries:
		return fmt.Errorf("negative retry count %d", int(o))
	case o == 0:
		return errors.New("retry count 0 means the default: for no retries use runtime.Retries(runtime.NoRetries)")
	}
	r.Retries = int(o)
	return nil
}

type timeoutOption time.Duration

// Timeout bounds each attempt of the task.
func Timeout(d time.Duration) EnqueueOption { return timeoutOption(d) }

func (o timeoutOption) String() string { return fmt.Sprintf("runtime.Timeout(%v)", time.Duration(o)) }

func (o timeoutOption) apply(r *Request) error {
	if o <= 0 {
		return fmt.Errorf("timeout %v is not positive", time.Duration(o))
	}
	r.Timeout = time.Duration(o)
	return nil
}

type uniqueOption time.Duration

// Unique makes enqueueing the same task for the same tenant with the same
// arguments a no-op for d.
func Unique(d time.Duration) EnqueueOption { return uniqueOption(d) }

func (o uniqueOption) String() string { return fmt.Sprintf("runtime.Unique(%v)", time.Duration(o)) }

func (o uniqueOption) apply(r *Request) error {
	if o <= 0 {
		return fmt.Errorf("unique window %v is not positive", time.Duration(o))
	}
	r.Unique = time.Duration(o)
	return nil
}

type atOption time.Time

// At schedules the task to start no earlier than t.
func At(t time.Time) EnqueueOption { return atOption(t) }

func (o atOption) String() string {
	return fmt.Sprintf("runtime.At(%s)", time.Time(o).Format(time.RFC3339Nano))
}

func (o atOption) apply(r *Request) error {
	r.RunAt = time.Time(o)
	return nil
}

type delayOption time.Duration

// Delay schedules the task to start no earlier than d from now.
func Delay(d time.Duration) EnqueueOption { return delayOption(d) }

func (o delayOption) String() string { return fmt.Sprintf("runtime.Delay(%v)", time.Duration(o)) }

func (o delayOption) apply(r *Request) error {
	if o < 0 {
		return fmt.Errorf("negative delay %v", time.Duration(o))
	}
	r.RunAt = time.Now().Add(time.Duration(o))
	return nil
}

type tenantOption string

// ForTenant enqueues the task for the tenant with the given ID, whatever
// tenant the context carries.
func ForTenant(id string) EnqueueOption { return tenantOption(id) }

func (o tenantOption) String() string { return fmt.Sprintf("runtime.ForTenant(%q)", string(o)) }

func (o tenantOption) apply(r *Request) error {
	if o == "" {
		return errors.New("empty tenant ID in ForTenant")
	}
	r.Tenant = string(o)
	return nil
}

type deadlineOption time.Time

// Deadline makes the task expire at t: if it has not started by then, it
// goes to the dead letter set instead of running late.
func Deadline(t time.Time) EnqueueOption { return deadlineOption(t) }

func (o deadlineOption) String() string {
	return fmt.Sprintf("runtime.Deadline(%s)", time.Time(o).Format(time.RFC3339Nano))
}

func (o deadlineOption) apply(r *Request) error {
	r.Deadline = time.Time(o)
	return nil
}

type headerOption struct{ key, value string }

// Header sets a header that travels with the task to the worker, such as a
// trace ID.
func Header(key, value string) EnqueueOption { return headerOption{key, value} }

func (o headerOption) String() string { return fmt.Sprintf("runtime.Header(%q, %q)", o.key, o.value) }

func (o headerOption) apply(r *Request) error {
	if o.key == "" {
		return errors.New("empty header name")
	}
	h := make(map[string]string, len(r.Headers)+1)
	maps.Copy(h, r.Headers)
	h[o.key] = o.value
	r.Headers = h
	return nil
}

type idOption TaskID

// ID gives the task the ID id instead of a new random one: to know the ID
// before enqueueing (to store it with the work it belongs to), or to retry
// an enqueue whose outcome is unknown (*UnknownOutcomeError) with the ID
// it reported. An ID alone does not deduplicate: with it, a task enqueued
// twice runs twice, under one ID; add UniqueKey or Unique for at most once.
func ID(id TaskID) EnqueueOption { return idOption(id) }

func (o idOption) String() string { return fmt.Sprintf("runtime.ID(%q)", string(o)) }

func (o idOption) apply(r *Request) error {
	if o == "" {
		return errors.New("empty task ID in runtime.ID")
	}
	r.ID = TaskID(o)
	return nil
}

type uniqueKeyOption struct {
	key    string
	window time.Duration
}

// UniqueKey makes the task unique on key, an idempotency key, instead of on
// its task, tenant and arguments as Unique does: for window after a task
// took key, enqueueing another with that key on the same queue enqueues
// nothing and returns the first task's ID with an error wrapping
// ErrDuplicate, or no error at all if the retry carries the first task's ID
// (see the ID option). Keys are not per tenant: put the tenant in the key
// when it matters.
func UniqueKey(key string, window time.Duration) EnqueueOption {
	return uniqueKeyOption{key, window}
}

func (o uniqueKeyOption) String() string {
	return fmt.Sprintf("runtime.UniqueKey(%q, %v)", o.key, o.window)
}

func (o uniqueKeyOption) apply(r *Request) error {
	switch {
	case o.key == "":
		return errors.New("empty key in runtime.UniqueKey")
	case o.window <= 0:
		return fmt.Errorf("unique window %v is not positive", o.window)
	}
	r.UniqueKey, r.Unique = o.key, o.window
	return nil
}
