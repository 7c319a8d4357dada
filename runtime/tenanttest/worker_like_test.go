package tenanttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

type numArgs struct {
	N int `json:"n"`
}

func TestUnique(t *testing.T) {
	t.Parallel()
	hour := runtime.Unique(time.Hour)
	tests := []struct {
		name       string
		recordOnly bool
		first      []runtime.EnqueueOption
		second     []runtime.EnqueueOption // for tenant acme unless it says
		args       int                     // of the second; the first has 1
		duplicate  bool
	}{
		{name: "same task, tenant and arguments", first: []runtime.EnqueueOption{hour}, second: []runtime.EnqueueOption{hour}, args: 1, duplicate: true},
		{name: "same, record only", recordOnly: true, first: []runtime.EnqueueOption{hour}, second: []runtime.EnqueueOption{hour}, args: 1, duplicate: true},
		{name: "another window", first: []runtime.EnqueueOption{hour}, second: []runtime.EnqueueOption{runtime.Unique(time.Minute)}, args: 1, duplicate: true},
		{name: "another tenant", first: []runtime.EnqueueOption{hour}, second: []runtime.EnqueueOption{hour, runtime.ForTenant("globex")}, args: 1},
		{name: "other arguments", first: []runtime.EnqueueOption{hour}, second: []runtime.EnqueueOption{hour}, args: 2},
		{name: "another queue", first: []runtime.EnqueueOption{hour}, second: []runtime.EnqueueOption{hour, runtime.Queue("other")}, args: 1},
		{name: "second not unique", first: []runtime.EnqueueOption{hour}, args: 1},
		{name: "first not unique", second: []runtime.EnqueueOption{hour}, args: 1},
		{name: "neither unique", args: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var runs atomic.Int32
			task := runtime.NewTask(runtime.TaskSpec{Name: "test.unique"}, func(context.Context, numArgs) error {
				runs.Add(1)
				return nil
			})
			var opts []Option
			if tt.recordOnly {
				opts = append(opts, RecordOnly())
			}
			q := New(t, register(t, task), opts...)
			ctx := runtime.WithTenant(t.Context(), "acme")
			first, err := task.Enqueue(ctx, q, numArgs{1}, tt.first...)
			if err != nil {
				t.Fatal(err)
			}
			second, err := task.Enqueue(ctx, q, numArgs{tt.args}, tt.second...)
			wantN := 2
			if tt.duplicate {
				wantN = 1
				if !errors.Is(err, runtime.ErrDuplicate) || second != first {
					t.Errorf("second Enqueue = %q, %v; want %q and ErrDuplicate", second, err, first)
				}
				if want := fmt.Sprintf(`tenanttest: task "test.unique" already enqueued as %s: tenantgen: duplicate unique task`, first); err == nil || err.Error() != want {
					t.Errorf("second Enqueue error = %v, want %s", err, want)
				}
			} else if err != nil || second == first {
				t.Errorf("second Enqueue = %q, %v; want a new task", second, err)
			}
			if got := len(q.Enqueued()); got != wantN {
				t.Errorf("%d tasks recorded, want %d", got, wantN)
			}
			if tt.recordOnly {
				wantN = 0
			}
			if got := int(runs.Load()); got != wantN {
				t.Errorf("the task ran %d times, want %d", got, wantN)
			}
		})
	}
}

func TestUniqueWindowEnds(t *testing.T) {
	t.Parallel()
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.unique", Unique: 20 * time.Millisecond}, func(context.Context, numArgs) error { return nil })
	q := New(t, register(t, task))
	ctx := runtime.WithTenant(t.Context(), "acme")
	start := time.Now()
	first, err := task.Enqueue(ctx, q, numArgs{1})
	if err != nil {
		t.Fatal(err)
	}
	var id runtime.TaskID
	testenv.WaitFor(t, "the unique window to end", func() bool {
		id, err = task.Enqueue(ctx, q, numArgs{1})
		if err != nil && (!errors.Is(err, runtime.ErrDuplicate) || id != first) {
			t.Fatalf("Enqueue within the window = %q, %v; want %q and ErrDuplicate", id, err, first)
		}
		return err == nil
	})
	// A lower bound: a loaded machine only makes the wait longer.
	if elapsed := time.Since(start); elapsed < 20*time.Millisecond {
		t.Errorf("a duplicate was accepted %v after the first, within its 20ms window", elapsed)
	}
	if id == first {
		t.Errorf("Enqueue after the window returned the first ID %q", id)
	}
	RequireEnqueuedN(t, q, "test.unique", 2)
}

func TestJobFrom(t *testing.T) {
	t.Parallel()
	spec := runtime.TaskSpec{Name: "test.job", Retries: 3, Timeout: time.Minute}
	tests := []struct {
		name string
		opts []runtime.EnqueueOption
		want runtime.Job
	}{
		{
			name: "default queue",
			want: runtime.Job{ID: "task-1", Name: "test.job", Tenant: "acme", Queue: "default", Attempt: 1, Args: []byte(`{"n":7}`), Spec: spec},
		},
		{
			name: "named queue and headers",
			opts: []runtime.EnqueueOption{runtime.Queue("mail"), runtime.Header("trace", "t-1")},
			want: runtime.Job{
				ID: "task-1", Name: "test.job", Tenant: "acme", Queue: "mail", Attempt: 1, Args: []byte(`{"n":7}`),
				Headers: map[string]string{"trace": "t-1"}, Spec: spec,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got *runtime.Job
			task := runtime.NewTask(spec, func(ctx context.Context, _ numArgs) error {
				j, ok := runtime.JobFrom(ctx)
				if !ok {
					return errors.New("no job in the task's context")
				}
				got = j
				return nil
			})
			q := New(t, register(t, task), FailOnError())
			before := time.Now()
			if _, err := task.Enqueue(runtime.WithTenant(t.Context(), "acme"), q, numArgs{7}, tt.opts...); err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Fatal("the task did not run")
			}
			if got.EnqueuedAt.Before(before) || got.EnqueuedAt.After(time.Now()) {
				t.Errorf("EnqueuedAt = %v, want the time of Enqueue", got.EnqueuedAt)
			}
			job := *got
			job.EnqueuedAt = time.Time{}
			if diff := cmp.Diff(tt.want, job, cmpopts.IgnoreUnexported(runtime.Job{})); diff != "" {
				t.Errorf("JobFrom in the task (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var log []string
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		log = append(log, fmt.Sprintf(format, args...))
	}
	// trace logs around the job, and checks that the job it is given is the
	// one in its context.
	trace := func(name string) runtime.Middleware {
		return func(next runtime.Handler) runtime.Handler {
			return runtime.HandlerFunc(func(ctx context.Context, job *runtime.Job) error {
				if j, _ := runtime.JobFrom(ctx); j != job {
					return fmt.Errorf("middleware %s: JobFrom = %p, want the job it was given, %p", name, j, job)
				}
				logf("%s before %s %s", name, job.ID, job.Tenant)
				err := next.Handle(ctx, job)
				logf("%s after: %v", name, err)
				return err
			})
		}
	}
	errRefused := errors.New("refused")
	refuse := func(next runtime.Handler) runtime.Handler {
		return runtime.HandlerFunc(func(context.Context, *runtime.Job) error { return errRefused })
	}
	panics := func(next runtime.Handler) runtime.Handler {
		return runtime.HandlerFunc(func(context.Context, *runtime.Job) error { panic("in middleware") })
	}
	tests := []struct {
		name    string
		opts    []Option
		wantLog []string
		wantErr func(error) bool
	}{
		{
			name:    "outermost first",
			opts:    []Option{Middleware(trace("a"), trace("b"))},
			wantLog: []string{"a before task-1 acme", "b before task-1 acme", "task", "b after: <nil>", "a after: <nil>"},
			wantErr: func(err error) bool { return err == nil },
		},
		{
			name:    "given twice, the lists add up",
			opts:    []Option{Middleware(trace("a")), Middleware(trace("b"))},
			wantLog: []string{"a before task-1 acme", "b before task-1 acme", "task", "b after: <nil>", "a after: <nil>"},
			wantErr: func(err error) bool { return err == nil },
		},
		{
			name:    "a middleware stops the task",
			opts:    []Option{Middleware(trace("a"), refuse)},
			wantLog: []string{"a before task-1 acme", "a after: refused"},
			wantErr: func(err error) bool { return errors.Is(err, errRefused) },
		},
		{
			name: "a panic in a middleware",
			opts: []Option{Middleware(panics)},
			wantErr: func(err error) bool {
				var p *runtime.PanicError
				return errors.As(err, &p) && p.Value == "in middleware"
			},
		},
		{
			name:    "none",
			wantLog: []string{"task"},
			wantErr: func(err error) bool { return err == nil },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			log = nil
			mu.Unlock()
			task := runtime.NewTask(runtime.TaskSpec{Name: "test.mw"}, func(context.Context, runtime.NoArgs) error {
				logf("task")
				return nil
			})
			q := New(t, register(t, task), tt.opts...)
			if _, err := task.Enqueue(runtime.WithTenant(t.Context(), "acme"), q, runtime.NoArgs{}); err != nil {
				t.Fatal(err)
			}
			e := RequireEnqueued(t, q, "test.mw")
			if !tt.wantErr(e.Err) {
				t.Errorf("the task's recorded error is %v", e.Err)
			}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff(tt.wantLog, log); diff != "" {
				t.Errorf("runs (-want +got):\n%s", diff)
			}
		})
	}
}
