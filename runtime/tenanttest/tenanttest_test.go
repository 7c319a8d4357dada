package tenanttest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/internal/names"
	"github.com/tenantgen/tenantgen/runtime"
)

// fakeT records the failures reported through it.
type fakeT struct {
	mu     sync.Mutex
	errors []string
	fatals []string
}

func (f *fakeT) Helper() {}

func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fatals = append(f.fatals, fmt.Sprintf(format, args...))
}

// register returns a registry holding defs.
func register(t *testing.T, defs ...runtime.Definition) *runtime.Registry {
	t.Helper()
	reg := runtime.NewRegistry()
	if err := reg.Register(defs...); err != nil {
		t.Fatal(err)
	}
	return reg
}

// probeTask is never run: tenantOf uses it to read the tenant of a context
// the way enqueueing does.
var probeTask = runtime.NewTask(runtime.TaskSpec{Name: "test.probe"}, func(context.Context, runtime.NoArgs) error { return nil })

// tenantOf returns the tenant that a task enqueued with ctx would get.
func tenantOf(ctx context.Context) string {
	req, err := probeTask.NewRequest(ctx, runtime.NoArgs{})
	if err != nil {
		return ""
	}
	return req.Tenant
}

// invoice is the argument of a struct-argument task.
type invoice struct {
	ID    string    `json:"id"`
	Cents int64     `json:"cents"`
	Due   time.Time `json:"due"`
	Lines []string  `json:"lines"`
}

// chargeParams encodes plain parameters as generated code does.
type chargeParams struct {
	customer string
	cents    int64
}

func (p chargeParams) MarshalJSON() ([]byte, error) {
	return runtime.MarshalParams(p.customer, p.cents)
}

func (p *chargeParams) UnmarshalJSON(data []byte) error {
	return runtime.UnmarshalParams(data, &p.customer, &p.cents)
}

// roundTrip enqueues a task taking a T with args on a fresh Queue and
// returns what the task's function received.
func roundTrip[T any](t *testing.T, spec runtime.TaskSpec, args T) T {
	t.Helper()
	var got T
	ran := 0
	task := runtime.NewTask(spec, func(_ context.Context, v T) error {
		got = v
		ran++
		return nil
	})
	q := New(t, register(t, task))
	ctx := runtime.WithTenant(t.Context(), "acme")
	if _, err := task.Enqueue(ctx, q, args); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if ran != 1 {
		t.Fatalf("the task ran %d times during Enqueue, want 1", ran)
	}
	return got
}

func TestInlineRunRoundTrip(t *testing.T) {
	t.Parallel()
	t.Run("struct", func(t *testing.T) {
		t.Parallel()
		want := invoice{ID: "inv-7", Cents: 1250, Due: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC), Lines: []string{"seat", "support"}}
		got := roundTrip(t, runtime.TaskSpec{Name: "test.invoice"}, want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("task arguments (-want +got):\n%s", diff)
		}
	})
	t.Run("plain parameters", func(t *testing.T) {
		t.Parallel()
		want := chargeParams{customer: "cus_1", cents: 1250}
		got := roundTrip(t, runtime.TaskSpec{Name: "test.charge"}, want)
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(chargeParams{})); diff != "" {
			t.Errorf("task arguments (-want +got):\n%s", diff)
		}
	})
	t.Run("only encoded fields survive", func(t *testing.T) {
		t.Parallel()
		type args struct {
			Kept    string
			Skipped string `json:"-"`
		}
		got := roundTrip(t, runtime.TaskSpec{Name: "test.skip"}, args{Kept: "k", Skipped: "s"})
		if diff := cmp.Diff(args{Kept: "k"}, got); diff != "" {
			t.Errorf("task arguments (-want +got):\n%s", diff)
		}
	})
	t.Run("no arguments", func(t *testing.T) {
		t.Parallel()
		roundTrip(t, runtime.TaskSpec{Name: "test.none", Public: true}, runtime.NoArgs{})
	})
}

// node is the argument of treeTask: a task that logs its label and
// enqueues its children.
type node struct {
	Label    string `json:"label"`
	Children []node `json:"children,omitempty"`
	Tenant   string `json:"tenant,omitempty"` // ForTenant for this node
}

// visit is one run of treeTask.
type visit struct {
	Label, Tenant string
}

// newTreeTask returns a task that appends its label and tenant to *log and
// enqueues its children on e.
func newTreeTask(mu *sync.Mutex, log *[]visit, e *runtime.Enqueuer) *runtime.Task[node] {
	var task *runtime.Task[node]
	task = runtime.NewTask(runtime.TaskSpec{Name: "test.tree"}, func(ctx context.Context, n node) error {
		mu.Lock()
		*log = append(*log, visit{n.Label, tenantOf(ctx)})
		mu.Unlock()
		for _, c := range n.Children {
			var opts []runtime.EnqueueOption
			if c.Tenant != "" {
				opts = append(opts, runtime.ForTenant(c.Tenant))
			}
			if _, err := task.Enqueue(ctx, *e, c, opts...); err != nil {
				return err
			}
		}
		return nil
	})
	return task
}

func TestTenantPropagation(t *testing.T) {
	t.Parallel()
	// root enqueues a and b; a enqueues c while b waits. FIFO order runs
	// b before c; running nested tasks at once would run c before b.
	tree := node{Label: "root", Children: []node{
		{Label: "a", Children: []node{{Label: "c"}}},
		{Label: "b", Children: []node{{Label: "d", Tenant: "umbrella"}}},
	}}
	tests := []struct {
		name   string
		ctx    func(context.Context) context.Context
		opts   []runtime.EnqueueOption
		tenant string // of root, a, b and c
	}{
		{
			name:   "WithTenant",
			ctx:    func(ctx context.Context) context.Context { return runtime.WithTenant(ctx, "acme") },
			tenant: "acme",
		},
		{
			name:   "ForTenant overrides the context",
			ctx:    func(ctx context.Context) context.Context { return runtime.WithTenant(ctx, "acme") },
			opts:   []runtime.EnqueueOption{runtime.ForTenant("globex")},
			tenant: "globex",
		},
		{
			name:   "ForTenant without a tenant in the context",
			ctx:    func(ctx context.Context) context.Context { return ctx },
			opts:   []runtime.EnqueueOption{runtime.ForTenant("initech")},
			tenant: "initech",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var (
				mu  sync.Mutex
				log []visit
				e   runtime.Enqueuer
			)
			task := newTreeTask(&mu, &log, &e)
			q := New(t, register(t, task), FailOnError())
			e = q

			id, err := task.Enqueue(tt.ctx(t.Context()), q, tree, tt.opts...)
			if err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
			if id != "task-1" {
				t.Errorf("Enqueue returned ID %q, want task-1", id)
			}

			// Enqueue returned after every descendant ran, breadth first.
			want := []visit{{"root", tt.tenant}, {"a", tt.tenant}, {"b", tt.tenant}, {"c", tt.tenant}, {"d", "umbrella"}}
			if diff := cmp.Diff(want, log); diff != "" {
				t.Errorf("runs (-want +got):\n%s", diff)
			}
			type rec struct {
				ID     runtime.TaskID
				Label  string
				Tenant string
			}
			var got []rec
			for _, en := range q.Enqueued() {
				got = append(got, rec{en.ID, DecodeArgs[node](t, en).Label, en.Request.Tenant})
			}
			wantRecs := []rec{{"task-1", "root", tt.tenant}, {"task-2", "a", tt.tenant}, {"task-3", "b", tt.tenant}, {"task-4", "c", tt.tenant}, {"task-5", "d", "umbrella"}}
			if diff := cmp.Diff(wantRecs, got); diff != "" {
				t.Errorf("enqueued (-want +got):\n%s", diff)
			}
		})
	}
}

type ctxKey struct{}

func TestTaskContext(t *testing.T) {
	t.Parallel()
	type seen struct {
		Name, Tenant string
		Value        any
		Err          error
	}
	var got []seen
	record := func(ctx context.Context, name string) {
		got = append(got, seen{name, tenantOf(ctx), ctx.Value(ctxKey{}), ctx.Err()})
	}
	public := runtime.NewTask(runtime.TaskSpec{Name: "test.public", Public: true}, func(ctx context.Context, _ runtime.NoArgs) error {
		record(ctx, "public")
		return nil
	})
	var q *Queue
	tenant := runtime.NewTask(runtime.TaskSpec{Name: "test.tenant"}, func(ctx context.Context, _ runtime.NoArgs) error {
		record(ctx, "tenant")
		_, err := public.Enqueue(ctx, q, runtime.NoArgs{})
		return err
	})
	q = New(t, register(t, public, tenant), FailOnError())

	// The caller's values and cancellation stay with the caller, as on a
	// worker; only the tenant travels.
	ctx, cancel := context.WithCancel(context.WithValue(t.Context(), ctxKey{}, "request-scoped"))
	if _, err := tenant.Enqueue(runtime.WithTenant(ctx, "acme"), q, runtime.NoArgs{}); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	cancel()
	want := []seen{{Name: "tenant", Tenant: "acme"}, {Name: "public"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("what the tasks saw in their context (-want +got):\n%s", diff)
	}
}

func TestEnqueueOnAnotherQueueFromATask(t *testing.T) {
	t.Parallel()
	var log []string
	child := runtime.NewTask(runtime.TaskSpec{Name: "test.child"}, func(context.Context, runtime.NoArgs) error {
		log = append(log, "child")
		return nil
	})
	other := New(t, register(t, child))
	parent := runtime.NewTask(runtime.TaskSpec{Name: "test.parent"}, func(ctx context.Context, _ runtime.NoArgs) error {
		log = append(log, "parent starts")
		_, err := child.Enqueue(ctx, other, runtime.NoArgs{})
		log = append(log, "parent ends")
		return err
	})
	q := New(t, register(t, parent), FailOnError())
	if _, err := parent.Enqueue(runtime.WithTenant(t.Context(), "acme"), q, runtime.NoArgs{}); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	// Another Queue does not wait for this Queue's task.
	want := []string{"parent starts", "child", "parent ends"}
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
}

func TestEnqueueFromATaskAfterItReturned(t *testing.T) {
	t.Parallel()
	var childRan atomic.Bool
	child := runtime.NewTask(runtime.TaskSpec{Name: "test.child"}, func(ctx context.Context, _ runtime.NoArgs) error {
		childRan.Store(true)
		return nil
	})
	release := make(chan struct{})
	done := make(chan error, 1)
	var q *Queue
	parent := runtime.NewTask(runtime.TaskSpec{Name: "test.parent"}, func(ctx context.Context, _ runtime.NoArgs) error {
		go func() {
			<-release
			_, err := child.Enqueue(ctx, q, runtime.NoArgs{})
			done <- err
		}()
		return nil
	})
	q = New(t, register(t, parent, child), FailOnError())
	if _, err := parent.Enqueue(runtime.WithTenant(t.Context(), "acme"), q, runtime.NoArgs{}); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Enqueue from the goroutine: %v", err)
	}
	// The parent's run was over, so the goroutine's Enqueue ran the child.
	if !childRan.Load() {
		t.Error("the child task did not run before its Enqueue returned")
	}
	RequireEnqueuedN(t, q, "test.child", 1)
}

func TestRecordOnly(t *testing.T) {
	t.Parallel()
	ran := false
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.task"}, func(context.Context, invoice) error {
		ran = true
		return nil
	})
	tests := []struct {
		name string
		reg  *runtime.Registry
	}{
		{"with a registry", register(t, task)},
		{"without a registry", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := New(t, tt.reg, RecordOnly())
			ctx := runtime.WithTenant(t.Context(), "acme")
			id, err := task.Enqueue(ctx, q, invoice{ID: "inv-1"}, runtime.Queue("billing"))
			if err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
			if ran {
				t.Error("the task ran")
			}
			want := []Enqueued{{ID: id, Request: runtime.Request{
				Name: "test.task", Args: []byte(`{"id":"inv-1","cents":0,"due":"0001-01-01T00:00:00Z","lines":null}`),
				Tenant: "acme", Queue: "billing",
			}}}
			if diff := cmp.Diff(want, q.Enqueued()); diff != "" {
				t.Errorf("enqueued (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewWithoutRegistry(t *testing.T) {
	t.Parallel()
	ft := &fakeT{}
	newQueue(ft, t.Context(), nil)
	want := []string{"tenanttest: New: nil registry; pass the registry that runs the tasks, or the RecordOnly option"}
	if diff := cmp.Diff(want, ft.fatals); diff != "" {
		t.Errorf("fatal failures (-want +got):\n%s", diff)
	}
}

func TestEnqueueErrors(t *testing.T) {
	t.Parallel()
	ran := false
	known := runtime.NewTask(runtime.TaskSpec{Name: "test.known"}, func(context.Context, runtime.NoArgs) error {
		ran = true
		return nil
	})
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	valid := runtime.Request{Name: "test.known", Args: []byte("[]"), Tenant: "acme"}
	with := func(f func(*runtime.Request)) runtime.Request {
		r := valid
		f(&r)
		return r
	}
	tests := []struct {
		name    string
		opts    []Option
		ctx     context.Context
		req     runtime.Request
		wantErr string
		wantIs  error
	}{
		{
			name:    "unknown task",
			req:     with(func(r *runtime.Request) { r.Name = "test.unknown" }),
			wantErr: `tenanttest: enqueue task "test.unknown": the task is not registered; register it with the registry passed to tenanttest.New (generated RegisterTasks)`,
		},
		{
			name:    "unknown task, record only",
			opts:    []Option{RecordOnly()},
			req:     with(func(r *runtime.Request) { r.Name = "test.unknown" }),
			wantErr: `tenanttest: enqueue task "test.unknown": the task is not registered; register it with the registry passed to tenanttest.New (generated RegisterTasks)`,
		},
		{
			name:    "no name",
			req:     with(func(r *runtime.Request) { r.Name = "" }),
			wantErr: "tenanttest: enqueue: request without a task name",
		},
		{
			name:    "invalid JSON",
			req:     with(func(r *runtime.Request) { r.Args = []byte("{") }),
			wantErr: `tenanttest: enqueue task "test.known": arguments are not valid JSON`,
		},
		{
			name:    "no arguments",
			req:     with(func(r *runtime.Request) { r.Args = nil }),
			wantErr: `tenanttest: enqueue task "test.known": arguments are not valid JSON`,
		},
		{
			name:    "invalid queue",
			req:     with(func(r *runtime.Request) { r.Queue = "Bad Queue" }),
			wantErr: `tenanttest: enqueue task "test.known": ` + names.CheckQueue("Bad Queue").Error(),
		},
		{
			name:    "cancelled context",
			ctx:     cancelled,
			req:     valid,
			wantErr: `tenanttest: enqueue task "test.known": context canceled`,
			wantIs:  context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := New(t, register(t, known), tt.opts...)
			ctx := tt.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			id, err := q.Enqueue(ctx, tt.req)
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("Enqueue error = %v, want %s", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Enqueue error %v does not wrap %v", err, tt.wantIs)
			}
			if id != "" {
				t.Errorf("Enqueue returned ID %q with its error, want none", id)
			}
			if got := q.Enqueued(); len(got) != 0 {
				t.Errorf("Enqueued() = %v, want nothing", got)
			}
			if ran {
				t.Error("the task ran")
			}
		})
	}

	t.Run("through a task", func(t *testing.T) {
		t.Parallel()
		q := New(t, register(t, known))
		unregistered := runtime.NewTask(runtime.TaskSpec{Name: "test.unregistered"}, func(context.Context, runtime.NoArgs) error { return nil })
		_, err := unregistered.Enqueue(runtime.WithTenant(t.Context(), "acme"), q, runtime.NoArgs{})
		if err == nil || !strings.Contains(err.Error(), `"test.unregistered": the task is not registered`) {
			t.Errorf("Enqueue error = %v, want one naming the unregistered task", err)
		}
	})
}

func TestTaskErrors(t *testing.T) {
	t.Parallel()
	errBoom := errors.New("boom")
	fail := runtime.NewTask(runtime.TaskSpec{Name: "test.fail"}, func(context.Context, string) error { return errBoom })
	panics := runtime.NewTask(runtime.TaskSpec{Name: "test.panic"}, func(context.Context, string) error { panic("kaboom") })
	var oks atomic.Int32
	ok := runtime.NewTask(runtime.TaskSpec{Name: "test.ok"}, func(context.Context, string) error {
		oks.Add(1)
		return nil
	})
	var q *Queue
	parent := runtime.NewTask(runtime.TaskSpec{Name: "test.parent"}, func(ctx context.Context, _ string) error {
		for _, task := range []*runtime.Task[string]{fail, panics, ok} {
			if _, err := task.Enqueue(ctx, q, "child"); err != nil {
				return err
			}
		}
		return nil
	})
	reg := register(t, fail, panics, ok, parent)

	// The subtests share q and oks, so they run one after the other.
	for _, failOnError := range []bool{false, true} {
		t.Run(fmt.Sprintf("FailOnError=%t", failOnError), func(t *testing.T) {
			oks.Store(0)
			ft := &fakeT{}
			var opts []Option
			if failOnError {
				opts = append(opts, FailOnError())
			}
			q = newQueue(ft, t.Context(), reg, opts...)
			id, err := parent.Enqueue(runtime.WithTenant(t.Context(), "acme"), q, "parent")
			if err != nil || id != "task-1" {
				t.Fatalf("Enqueue = %q, %v; want task-1, <nil>", id, err)
			}
			if n := oks.Load(); n != 1 {
				t.Errorf("the task after the failing ones ran %d times, want 1", n)
			}

			got := q.Enqueued()
			if len(got) != 4 {
				t.Fatalf("Enqueued() has %d tasks, want 4: %v", len(got), got)
			}
			if got[0].Err != nil || got[3].Err != nil {
				t.Errorf("errors of the tasks that succeeded = %v, %v; want none", got[0].Err, got[3].Err)
			}
			if !errors.Is(got[1].Err, errBoom) {
				t.Errorf("error of test.fail = %v, want %v", got[1].Err, errBoom)
			}
			var pe *runtime.PanicError
			if !errors.As(got[2].Err, &pe) || pe.Value != "kaboom" {
				t.Errorf("error of test.panic = %v, want a *runtime.PanicError of kaboom", got[2].Err)
			}

			var want []string
			if failOnError {
				want = []string{
					`tenanttest: task "test.fail" (task-2, tenant "acme", args "child") failed: boom`,
					`tenanttest: task "test.panic" (task-3, tenant "acme", args "child") failed: ` + got[2].Err.Error(),
				}
			}
			if diff := cmp.Diff(want, ft.errors); diff != "" {
				t.Errorf("test failures (-want +got):\n%s", diff)
			}
			if len(ft.fatals) > 0 {
				t.Errorf("fatal failures: %q", ft.fatals)
			}
		})
	}
}

func TestDelayedTasksRunAtOnce(t *testing.T) {
	t.Parallel()
	ran := 0
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.later"}, func(context.Context, runtime.NoArgs) error {
		ran++
		return nil
	})
	q := New(t, register(t, task), FailOnError())
	ctx := runtime.WithTenant(t.Context(), "acme")
	at := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := task.Enqueue(ctx, q, runtime.NoArgs{}, runtime.At(at)); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if _, err := task.Enqueue(ctx, q, runtime.NoArgs{}, runtime.Delay(time.Hour)); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if ran != 2 {
		t.Errorf("the delayed tasks ran %d times, want 2", ran)
	}
	got := RequireEnqueuedN(t, q, "test.later", 2)
	if !got[0].Request.RunAt.Equal(at) {
		t.Errorf("RunAt = %v, want %v", got[0].Request.RunAt, at)
	}
	if time.Until(got[1].Request.RunAt) < 30*time.Minute {
		t.Errorf("RunAt with Delay(1h) = %v, want about an hour from now", got[1].Request.RunAt)
	}
}

func TestEnqueuedReturnsCopies(t *testing.T) {
	t.Parallel()
	q := New(t, nil, RecordOnly())
	args := []byte(`["a"]`)
	headers := map[string]string{"trace": "1"}
	if _, err := q.Enqueue(t.Context(), runtime.Request{Name: "test.task", Args: args, Tenant: "acme", Headers: headers}); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	args[2] = 'X'
	headers["trace"] = "X"
	e := q.Enqueued()[0]
	e.Request.Args[2] = 'Y'
	e.Request.Headers["trace"] = "Y"

	want := runtime.Request{Name: "test.task", Args: []byte(`["a"]`), Tenant: "acme", Headers: map[string]string{"trace": "1"}}
	if diff := cmp.Diff(want, q.Enqueued()[0].Request); diff != "" {
		t.Errorf("recorded request after changes to the caller's and a returned copy (-want +got):\n%s", diff)
	}
}

// recorded returns a RecordOnly Queue holding tasks a, b, a, p.
func recorded(t *testing.T) *Queue {
	t.Helper()
	q := New(t, nil, RecordOnly())
	for _, r := range []runtime.Request{
		{Name: "a", Args: []byte("[1]"), Tenant: "acme"},
		{Name: "b", Args: []byte("[]"), Tenant: "globex"},
		{Name: "a", Args: []byte("[2]"), Tenant: "acme"},
		{Name: "p", Args: []byte("[]")},
	} {
		if _, err := q.Enqueue(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	return q
}

func TestRequire(t *testing.T) {
	t.Parallel()
	ids := func(es ...Enqueued) []runtime.TaskID {
		var list []runtime.TaskID
		for _, e := range es {
			if e.ID != "" {
				list = append(list, e.ID)
			}
		}
		return list
	}
	tests := []struct {
		name       string
		empty      bool // use an empty Queue
		call       func(t testingT, q *Queue) (result []runtime.TaskID, ok bool)
		wantIDs    []runtime.TaskID
		wantFatals []string
	}{
		{
			name: "RequireEnqueued, found",
			call: func(t testingT, q *Queue) ([]runtime.TaskID, bool) {
				e, ok := requireEnqueued(t, q, "a")
				return ids(e), ok
			},
			wantIDs: []runtime.TaskID{"task-1"},
		},
		{
			name: "RequireEnqueued, missing",
			call: func(t testingT, q *Queue) ([]runtime.TaskID, bool) {
				e, ok := requireEnqueued(t, q, "x")
				return ids(e), ok
			},
			wantFatals: []string{`tenanttest: no task "x" was enqueued; enqueued: "a" (2 times), "b", "p"`},
		},
		{
			name:  "RequireEnqueued, nothing enqueued",
			empty: true,
			call: func(t testingT, q *Queue) ([]runtime.TaskID, bool) {
				e, ok := requireEnqueued(t, q, "x")
				return ids(e), ok
			},
			wantFatals: []string{`tenanttest: no task "x" was enqueued; nothing was enqueued`},
		},
		{
			name: "RequireNotEnqueued, absent",
			call: func(t testingT, q *Queue) ([]runtime.TaskID, bool) {
				return nil, requireNotEnqueued(t, q, "x")
			},
		},
		{
			name: "RequireNotEnqueued, present",
			call: func(t testingT, q *Queue) ([]runtime.TaskID, bool) {
				return nil, requireNotEnqueued(t, q, "a")
			},
			wantFatals: []string{`tenanttest: task "a" was enqueued 2 times, want none: task-1, tenant "acme", args [1]; task-3, tenant "acme", args [2]`},
		},
		{
			name: "RequireNotEnqueued, public task present",
			call: func(t testingT, q *Queue) ([]runtime.TaskID, bool) {
				return nil, requireNotEnqueued(t, q, "p")
			},
			wantFatals: []string{`tenanttest: task "p" was enqueued 1 time, want none: task-4, no tenant, args []`},
		},
		{
			name: "RequireEnqueuedN, right count",
			call: func(t testingT, q *Queue) ([]runtime.TaskID, bool) {
				es, ok := requireEnqueuedN(t, q, "a", 2)
				return ids(es...), ok
			},
			wantIDs: []runtime.TaskID{"task-1", "task-3"},
		},
		{
			name: "RequireEnqueuedN, zero",
			call: func(t testingT, q *Queue) ([]runtime.TaskID, bool) {
				es, ok := requireEnqueuedN(t, q, "x", 0)
				return ids(es...), ok
			},
		},
		{
			name: "RequireEnqueuedN, too many",
			call: func(t testingT, q *Queue) ([]runtime.TaskID, bool) {
				es, ok := requireEnqueuedN(t, q, "a", 1)
				return ids(es...), ok
			},
			wantIDs:    []runtime.TaskID{"task-1", "task-3"},
			wantFatals: []string{`tenanttest: task "a" was enqueued 2 times, want 1: task-1, tenant "acme", args [1]; task-3, tenant "acme", args [2]`},
		},
		{
			name: "RequireEnqueuedN, none",
			call: func(t testingT, q *Queue) ([]runtime.TaskID, bool) {
				es, ok := requireEnqueuedN(t, q, "x", 1)
				return ids(es...), ok
			},
			wantFatals: []string{`tenanttest: task "x" was enqueued 0 times, want 1; enqueued: "a" (2 times), "b", "p"`},
		},
		{
			name: "RequireEnqueuedN, negative count",
			call: func(t testingT, q *Queue) ([]runtime.TaskID, bool) {
				es, ok := requireEnqueuedN(t, q, "a", -1)
				return ids(es...), ok
			},
			wantFatals: []string{"tenanttest: RequireEnqueuedN: negative count -1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := New(t, nil, RecordOnly())
			if !tt.empty {
				q = recorded(t)
			}
			ft := &fakeT{}
			gotIDs, ok := tt.call(ft, q)
			if diff := cmp.Diff(tt.wantIDs, gotIDs); diff != "" {
				t.Errorf("returned tasks (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantFatals, ft.fatals); diff != "" {
				t.Errorf("fatal failures (-want +got):\n%s", diff)
			}
			if wantOK := len(tt.wantFatals) == 0; ok != wantOK {
				t.Errorf("ok = %t, want %t", ok, wantOK)
			}
			if len(ft.errors) > 0 {
				t.Errorf("unexpected Errorf calls: %q", ft.errors)
			}
		})
	}
}

func TestRequirePasses(t *testing.T) {
	t.Parallel()
	q := recorded(t)
	if e := RequireEnqueued(t, q, "b"); e.ID != "task-2" || e.Request.Tenant != "globex" {
		t.Errorf("RequireEnqueued(b) = %+v, want task-2 for globex", e)
	}
	RequireNotEnqueued(t, q, "x")
	if es := RequireEnqueuedN(t, q, "a", 2); len(es) != 2 {
		t.Errorf("RequireEnqueuedN(a, 2) returned %d tasks", len(es))
	}
}

func TestDecodeArgs(t *testing.T) {
	t.Parallel()
	want := invoice{ID: "inv-7", Cents: 1250, Due: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.invoice"}, func(context.Context, invoice) error { return nil })
	q := New(t, register(t, task), RecordOnly())
	if _, err := task.Enqueue(runtime.WithTenant(t.Context(), "acme"), q, want); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	e := RequireEnqueued(t, q, "test.invoice")

	t.Run("struct", func(t *testing.T) {
		t.Parallel()
		if diff := cmp.Diff(want, DecodeArgs[invoice](t, e)); diff != "" {
			t.Errorf("DecodeArgs (-want +got):\n%s", diff)
		}
	})
	t.Run("generated parameters in their own package", func(t *testing.T) {
		t.Parallel()
		e := Enqueued{ID: "task-9", Request: runtime.Request{Name: "test.charge", Args: []byte(`["cus_1",1250]`)}}
		got := DecodeArgs[chargeParams](t, e)
		if diff := cmp.Diff(chargeParams{"cus_1", 1250}, got, cmp.AllowUnexported(chargeParams{})); diff != "" {
			t.Errorf("DecodeArgs (-want +got):\n%s", diff)
		}
	})
	t.Run("wrong type", func(t *testing.T) {
		t.Parallel()
		ft := &fakeT{}
		got, ok := decodeArgs[[]string](ft, e)
		if ok || got != nil {
			t.Errorf("decodeArgs = %v, %t; want nil, false", got, ok)
		}
		wantPrefix := `tenanttest: decode arguments {"id":"inv-7","cents":1250,"due":"2026-03-01T00:00:00Z","lines":null} of task "test.invoice" (task-1) into []string: `
		if len(ft.fatals) != 1 || !strings.HasPrefix(ft.fatals[0], wantPrefix) {
			t.Errorf("fatal failures = %q, want one starting %q", ft.fatals, wantPrefix)
		}
	})
}

func TestConcurrentEnqueue(t *testing.T) {
	t.Parallel()
	const goroutines, perGoroutine = 8, 25
	var runs atomic.Int32
	var q *Queue
	var mu sync.Mutex
	wrongTenant := 0
	child := runtime.NewTask(runtime.TaskSpec{Name: "test.child"}, func(ctx context.Context, want string) error {
		runs.Add(1)
		if tenantOf(ctx) != want {
			mu.Lock()
			wrongTenant++
			mu.Unlock()
		}
		return nil
	})
	parent := runtime.NewTask(runtime.TaskSpec{Name: "test.parent"}, func(ctx context.Context, tenant string) error {
		runs.Add(1)
		_, err := child.Enqueue(ctx, q, tenant)
		return err
	})
	q = New(t, register(t, parent, child), FailOnError())

	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			tenant := "tenant-" + strconv.Itoa(g)
			ctx := runtime.WithTenant(t.Context(), tenant)
			for range perGoroutine {
				if _, err := parent.Enqueue(ctx, q, tenant); err != nil {
					t.Errorf("Enqueue: %v", err)
					return
				}
				_ = q.Enqueued()
			}
		})
	}
	wg.Wait()

	const total = 2 * goroutines * perGoroutine
	if n := runs.Load(); n != total {
		t.Errorf("%d runs, want %d", n, total)
	}
	if wrongTenant > 0 {
		t.Errorf("%d child tasks ran for another tenant than their parent", wrongTenant)
	}
	got := q.Enqueued()
	var gotIDs, wantIDs []runtime.TaskID
	for i, e := range got {
		gotIDs = append(gotIDs, e.ID)
		wantIDs = append(wantIDs, runtime.TaskID("task-"+strconv.Itoa(i+1)))
	}
	if diff := cmp.Diff(wantIDs, gotIDs); diff != "" {
		t.Errorf("IDs (-want +got):\n%s", diff)
	}
	RequireEnqueuedN(t, q, "test.parent", goroutines*perGoroutine)
	RequireEnqueuedN(t, q, "test.child", goroutines*perGoroutine)
}
