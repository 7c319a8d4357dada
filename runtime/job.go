package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tenantgen/tenantgen/internal/jobctx"
	"github.com/tenantgen/tenantgen/internal/queue"
)

// Job is a task as a worker runs it: one attempt of one enqueued task.
type Job struct {
	ID         TaskID
	Name       string            // task name
	Tenant     string            // tenant ID; empty for a public task
	Queue      string            // queue it was read from
	Attempt    int               // 1 for the first attempt
	Args       []byte            // JSON-encoded arguments
	Headers    map[string]string // headers given at enqueue
	EnqueuedAt time.Time         // first enqueue
	Due        time.Time         // when this attempt became due: the enqueue, or its delay, retry or requeue time
	Retries    int               // retries allowed after a failed attempt, resolved at enqueue
	Spec       TaskSpec          // the registered task's settings

	def Definition

	// observed is the ctx that Config.Observer's Start returned, kept
	// from the attempt's start to its settlement, which the queue engine
	// reports after Run has returned; nil without an Observer.
	observed context.Context
}

// Handler runs jobs. The innermost handler of an App decodes a job's
// arguments and calls its task function; middleware wraps it.
type Handler interface {
	Handle(ctx context.Context, job *Job) error
}

// The HandlerFunc type is an adapter to allow the use of ordinary functions
// as handlers. If f is a function with the appropriate signature,
// HandlerFunc(f) is a Handler that calls f.
type HandlerFunc func(ctx context.Context, job *Job) error

// Handle calls f(ctx, job).
func (f HandlerFunc) Handle(ctx context.Context, job *Job) error { return f(ctx, job) }

// Middleware wraps a Handler with behaviour around every job: logging,
// tracing, tenancy.
type Middleware func(next Handler) Handler

// JobFrom returns the job that ctx belongs to, inside a task.
func JobFrom(ctx context.Context) (*Job, bool) {
	j, ok := jobctx.From(ctx).(*Job)
	return j, ok
}

// Permanent wraps err so that the task fails without further retries and
// goes to the dead letter set.
func Permanent(err error) error { return queue.Permanent(err) }

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool { return queue.IsPermanent(err) }

// PanicError is the error of a task whose function panicked.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the goroutine's stack at the panic
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v\n\n%s", e.Value, e.Stack) }

// ErrDuplicate is returned by Enqueue, with the ID of the task already
// enqueued, when a unique task was enqueued again within its window.
var ErrDuplicate = errors.New("tenantgen: duplicate unique task")
