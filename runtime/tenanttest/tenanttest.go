package tenanttest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"runtime/debug"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/internal/jobctx"
	"github.com/tenantgen/tenantgen/internal/names"
	"github.com/tenantgen/tenantgen/runtime"
)

// testingT is the part of testing.TB that the package uses. The exported
// functions take a testing.TB and delegate to unexported twins that take a
// testingT, so that their failures can be tested with a fake.
type testingT interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Enqueued is a task that a Queue accepted.
type Enqueued struct {
	ID      runtime.TaskID  // "task-1", "task-2", … in the order of enqueueing
	Request runtime.Request // the request as the Queue received it
	Err     error           // the task's error, when it ran inline and failed
}

// An Option configures a Queue.
type Option func(*options)

type options struct {
	recordOnly  bool
	failOnError bool
	middleware  []runtime.Middleware
}

// RecordOnly makes the Queue record requests without running their tasks.
// The registry passed to New may then be nil; if it is not, enqueueing a
// task that it does not hold is still an error.
func RecordOnly() Option { return func(o *options) { o.recordOnly = true } }

// FailOnError makes a task that fails when run inline fail the test, with
// t.Errorf naming the task and its error.
func FailOnError() Option { return func(o *options) { o.failOnError = true } }

// Middleware makes tasks run inline through mw, outermost first, as a
// worker runs them through runtime.Config.Middleware. The Handler that mw
// wraps runs the task with the job's arguments. Given several times, the
// lists add up.
func Middleware(mw ...runtime.Middleware) Option {
	return func(o *options) { o.middleware = append(o.middleware, mw...) }
}

// Queue is an in-memory runtime.Enqueuer for unit tests. It records the
// requests it accepts and, unless RecordOnly is given, runs their tasks
// inline (see the package documentation). A Queue is safe for concurrent
// use.
type Queue struct {
	t    testingT
	base context.Context // parent of the contexts tasks run with
	reg  *runtime.Registry
	opts options

	mu      sync.Mutex
	entries []Enqueued
	locks   map[uniqueKey]uniqueLock // of unique tasks
}

// uniqueKey identifies a unique task as an App does: by queue, name,
// tenant and encoded arguments.
type uniqueKey struct{ queue, name, tenant, args string }

// uniqueLock is the lock of a unique task: the task that holds it, until
// its window ends.
type uniqueLock struct {
	id    runtime.TaskID
	until time.Time
}

var _ runtime.Enqueuer = (*Queue)(nil)

// New returns an empty Queue that runs the tasks of reg, normally filled by
// generated RegisterTasks functions. Tasks run with contexts derived from
// t.Context().
func New(t testing.TB, reg *runtime.Registry, opts ...Option) *Queue {
	t.Helper()
	return newQueue(t, t.Context(), reg, opts...)
}

func newQueue(t testingT, base context.Context, reg *runtime.Registry, opts ...Option) *Queue {
	t.Helper()
	if base == nil {
		base = context.Background()
	}
	q := &Queue{t: t, base: base, reg: reg}
	for _, o := range opts {
		o(&q.opts)
	}
	if reg == nil && !q.opts.recordOnly {
		t.Fatalf("tenanttest: New: nil registry; pass the registry that runs the tasks, or the RecordOnly option")
	}
	return q
}

// Enqueue records req and returns its ID. Unless the Queue is RecordOnly, it
// also runs the task before returning, or, when called from a task that is
// running inline, as soon as that task and those enqueued before it have
// run. The task's own error is not returned: it is recorded in
// Enqueued.Err.
//
// Enqueue fails, recording nothing, if req names no task or a task that the
// registry does not hold, if its arguments are not valid JSON or its queue
// name is invalid, or if ctx is done.
//
// As with an App, a unique task (req.Unique > 0) enqueued again within its
// window, for the same queue, tenant and encoded arguments, is neither
// recorded nor run: Enqueue returns the ID of the task that was, and an
// error wrapping runtime.ErrDuplicate. The window is measured on the wall
// clock from the first Enqueue, whether or not the task has run.
func (q *Queue) Enqueue(ctx context.Context, req runtime.Request) (runtime.TaskID, error) {
	def, err := q.check(ctx, req)
	if err != nil {
		return "", err
	}
	req = cloneRequest(req)
	now := time.Now()
	q.mu.Lock()
	i := len(q.entries)
	id := runtime.TaskID("task-" + strconv.Itoa(i+1))
	if req.Unique > 0 {
		key := uniqueKey{cmp.Or(req.Queue, defaultQueue), req.Name, req.Tenant, string(req.Args)}
		if l, ok := q.locks[key]; ok && now.Before(l.until) {
			q.mu.Unlock()
			return l.id, fmt.Errorf("tenanttest: task %q already enqueued as %s: %w", req.Name, l.id, runtime.ErrDuplicate)
		}
		if q.locks == nil {
			q.locks = make(map[uniqueKey]uniqueLock)
		}
		q.locks[key] = uniqueLock{id, now.Add(req.Unique)}
	}
	q.entries = append(q.entries, Enqueued{ID: id, Request: req})
	q.mu.Unlock()
	if q.opts.recordOnly {
		return id, nil
	}
	j := job{i: i, id: id, def: def, req: req, at: now}
	if r, ok := ctx.Value(runKey{}).(*run); ok && r.q == q && r.push(j) {
		return id, nil // the running task's run picks it up
	}
	r := &run{q: q, jobs: []job{j}}
	r.drain()
	return id, nil
}

// check validates req as an App would, and finds its task.
func (q *Queue) check(ctx context.Context, req runtime.Request) (runtime.Definition, error) {
	if req.Name == "" {
		return nil, errors.New("tenanttest: enqueue: request without a task name")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("tenanttest: enqueue task %q: %w", req.Name, err)
	}
	if !json.Valid(req.Args) {
		return nil, fmt.Errorf("tenanttest: enqueue task %q: arguments are not valid JSON", req.Name)
	}
	if req.Queue != "" {
		if err := names.CheckQueue(req.Queue); err != nil {
			return nil, fmt.Errorf("tenanttest: enqueue task %q: %w", req.Name, err)
		}
	}
	if q.reg == nil {
		return nil, nil // RecordOnly without a registry
	}
	def, ok := q.reg.Lookup(req.Name)
	if !ok {
		return nil, fmt.Errorf("tenanttest: enqueue task %q: the task is not registered; register it with the registry passed to tenanttest.New (generated RegisterTasks)", req.Name)
	}
	return def, nil
}

// Enqueued returns copies of the tasks accepted so far, in the order they
// were enqueued.
func (q *Queue) Enqueued() []Enqueued {
	q.mu.Lock()
	defer q.mu.Unlock()
	list := make([]Enqueued, len(q.entries))
	for i, e := range q.entries {
		e.Request = cloneRequest(e.Request)
		list[i] = e
	}
	return list
}

// job is an accepted task waiting to run.
type job struct {
	i   int // index in Queue.entries
	id  runtime.TaskID
	def runtime.Definition
	req runtime.Request
	at  time.Time // when it was enqueued
}

// runKey is the context key of the run a task belongs to.
type runKey struct{}

// run is the FIFO of the tasks enqueued, directly or not, by the task of one
// outermost Enqueue call. The goroutine of that call runs them; tasks may
// add to it from other goroutines.
type run struct {
	q *Queue

	mu   sync.Mutex
	jobs []job
	done bool // drained: tasks enqueued now run on their own
}

// push appends j to r and reports whether r will run it.
func (r *run) push(j job) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return false
	}
	r.jobs = append(r.jobs, j)
	return true
}

// pop removes and returns the next job, or marks r done when none is left.
func (r *run) pop() (job, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.jobs) == 0 {
		r.done = true
		return job{}, false
	}
	j := r.jobs[0]
	r.jobs[0] = job{}
	r.jobs = r.jobs[1:]
	return j, true
}

// drain runs the jobs of r until none is left.
func (r *run) drain() {
	defer func() {
		// A task that stopped the goroutine (t.FailNow) leaves the rest
		// unrun; later tasks must not wait for this run.
		r.mu.Lock()
		r.done = true
		r.mu.Unlock()
	}()
	for {
		j, ok := r.pop()
		if !ok {
			return
		}
		r.q.exec(r, j)
	}
}

// exec runs the task of j, for its tenant and through the middleware, and
// records its error.
func (q *Queue) exec(r *run, j job) {
	ctx := context.WithValue(q.base, runKey{}, r)
	if j.req.Tenant != "" {
		ctx = runtime.WithTenant(ctx, j.req.Tenant)
	}
	rj := &runtime.Job{
		ID:         j.id,
		Name:       j.req.Name,
		Tenant:     j.req.Tenant,
		Queue:      cmp.Or(j.req.Queue, defaultQueue),
		Attempt:    1,
		Args:       bytes.Clone(j.req.Args),
		Headers:    maps.Clone(j.req.Headers),
		EnqueuedAt: j.at,
		Spec:       j.def.Spec(),
	}
	def := j.def
	var h runtime.Handler = runtime.HandlerFunc(func(ctx context.Context, job *runtime.Job) error {
		return def.Run(ctx, job.Args)
	})
	for i := len(q.opts.middleware) - 1; i >= 0; i-- {
		h = q.opts.middleware[i](h)
	}
	err := call(jobctx.With(ctx, rj), h, rj)
	if err == nil {
		return
	}
	q.mu.Lock()
	q.entries[j.i].Err = err
	q.mu.Unlock()
	if q.opts.failOnError {
		q.t.Helper()
		q.t.Errorf("tenanttest: task %q (%s) failed: %v", j.req.Name, describe(j.id, j.req), err)
	}
}

// defaultQueue is the queue of a Job whose request names none: the App's
// default DefaultQueue.
const defaultQueue = "default"

// call runs job through h, turning a panic into a *runtime.PanicError as a
// worker does.
func call(ctx context.Context, h runtime.Handler, job *runtime.Job) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &runtime.PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return h.Handle(ctx, job)
}

// describe identifies an enqueued task in failure messages.
func describe(id runtime.TaskID, req runtime.Request) string {
	if req.Tenant == "" {
		return fmt.Sprintf("%s, no tenant, args %s", id, req.Args)
	}
	return fmt.Sprintf("%s, tenant %q, args %s", id, req.Tenant, req.Args)
}

// cloneRequest returns a copy of req that shares no memory with it.
func cloneRequest(req runtime.Request) runtime.Request {
	req.Args = bytes.Clone(req.Args)
	if req.Headers != nil {
		req.Headers = maps.Clone(req.Headers)
	}
	return req
}
