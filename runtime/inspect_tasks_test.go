package runtime_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// ids returns the IDs of a page of tasks.
func ids(tasks []runtime.TaskInfo) []runtime.TaskID {
	var out []runtime.TaskID
	for _, t := range tasks {
		out = append(out, t.ID)
	}
	return out
}

// TestInspectorTasks: Tasks lists the tasks of each state with the
// filters of its query, paged, and Task finds each task wherever it is,
// with its envelope's fields.
func TestInspectorTasks(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) { c.Queues = map[string]int{"default": 1} })
	ctx := context.Background()
	release := make(chan struct{})
	defer close(release)
	idle := runtime.NewTask(runtime.TaskSpec{Name: "test.idle", Queue: "idle"}, func(context.Context, echoArgs) error { return nil })
	other := runtime.NewTask(runtime.TaskSpec{Name: "test.other", Queue: "idle"}, func(context.Context, echoArgs) error { return nil })
	block := runtime.NewTask(runtime.TaskSpec{Name: "test.block"}, func(ctx context.Context, _ echoArgs) error {
		<-release
		return nil
	})
	panics := runtime.NewTask(runtime.TaskSpec{Name: "test.panics"}, func(context.Context, echoArgs) error { panic("boom") })
	b.reg.Register(idle, other, block, panics)
	in := b.app.Inspector()

	acme := enqueueFor(t, b.app, idle, echoArgs{N: 1}, []string{"acme", "acme", "acme"}, runtime.Header("k", "v"))
	globex := enqueueFor(t, b.app, other, echoArgs{N: 2}, []string{"globex", "acme"})
	later := append(enqueueFor(t, b.app, idle, echoArgs{N: 3}, []string{"acme"}, runtime.Delay(time.Hour)),
		enqueueFor(t, b.app, idle, echoArgs{N: 3}, []string{"globex"}, runtime.Delay(2*time.Hour))...)
	b.run(t)
	running := enqueueFor(t, b.app, block, echoArgs{}, []string{"initech"})
	dead := enqueueFor(t, b.app, panics, echoArgs{}, []string{"acme"}, runtime.Retries(runtime.NoRetries))
	testenv.WaitFor(t, "a running and a dead task", func() bool {
		qs, err := in.Queues(ctx)
		return err == nil && qs[0].Running == 1 && qs[0].Dead == 1
	})

	tests := []struct {
		name string
		q    runtime.TaskQuery
		want []runtime.TaskID
		next int
	}{
		{"ready of a tenant", runtime.TaskQuery{Queue: "idle", State: runtime.StateReady, Tenant: "acme"}, append(slices.Clone(acme), globex[1]), 0},
		{"ready, paged", runtime.TaskQuery{Queue: "idle", State: runtime.StateReady, Tenant: "acme", Limit: 2}, acme[:2], 2},
		{"ready, second page", runtime.TaskQuery{Queue: "idle", State: runtime.StateReady, Tenant: "acme", Offset: 2, Limit: 2}, []runtime.TaskID{acme[2], globex[1]}, 0},
		{"ready by name", runtime.TaskQuery{Queue: "idle", State: runtime.StateReady, Task: "test.other"}, []runtime.TaskID{globex[1], globex[0]}, 0}, // lanes by name
		{"scheduled", runtime.TaskQuery{Queue: "idle", State: runtime.StateScheduled}, later, 0},
		{"scheduled of a tenant", runtime.TaskQuery{Queue: "idle", State: runtime.StateScheduled, Tenant: "globex"}, later[1:], 0},
		{"no retries", runtime.TaskQuery{Queue: "idle", State: runtime.StateRetrying}, nil, 0},
		{"running", runtime.TaskQuery{Queue: "default", State: runtime.StateRunning}, running, 0},
		{"dead of a tenant", runtime.TaskQuery{Queue: "default", State: runtime.StateDead, Tenant: "acme"}, dead, 0},
		{"dead of another tenant", runtime.TaskQuery{Queue: "default", State: runtime.StateDead, Tenant: "globex"}, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, err := in.Tasks(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ids(page.Tasks)); diff != "" || page.Next != tc.next {
				t.Errorf("Tasks (-want +got):\n%s; next %d, want %d", diff, page.Next, tc.next)
			}
			for _, task := range page.Tasks {
				if task.State != tc.q.State || task.Queue != tc.q.Queue {
					t.Errorf("task %s: state %q, queue %q; want %q, %q", task.ID, task.State, task.Queue, tc.q.State, tc.q.Queue)
				}
			}
		})
	}
	if _, err := in.Tasks(ctx, runtime.TaskQuery{Queue: "idle", State: "lost"}); err == nil {
		t.Error("Tasks of an unknown state: no error")
	}

	t.Run("Task", func(t *testing.T) {
		got, err := in.Task(ctx, "idle", acme[1])
		if err != nil {
			t.Fatal(err)
		}
		want := runtime.TaskInfo{ID: acme[1], Queue: "idle", State: runtime.StateReady, Name: "test.idle", Tenant: "acme",
			Args: []byte(`{"n":1}`), Headers: map[string]string{"k": "v"}, Retries: got.Retries, Enqueued: got.Enqueued}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Task of a ready task (-want +got):\n%s", diff)
		}
		if time.Since(got.Enqueued) > time.Minute {
			t.Errorf("Enqueued = %v, want about now", got.Enqueued)
		}
		for _, tc := range []struct {
			queue string
			id    runtime.TaskID
			state runtime.TaskState
		}{
			{"idle", later[1], runtime.StateScheduled},
			{"default", running[0], runtime.StateRunning},
			{"default", dead[0], runtime.StateDead},
		} {
			got, err := in.Task(ctx, tc.queue, tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tc.state || got.ID != tc.id {
				t.Errorf("Task(%s) = %s %q, want %q", tc.id, got.ID, got.State, tc.state)
			}
		}
		d, _ := in.Task(ctx, "default", dead[0])
		if d.Attempts != 1 || !strings.HasPrefix(d.Error, "panic: boom") || !strings.Contains(d.Stack, "goroutine") || d.Died.IsZero() {
			t.Errorf("dead task: attempts %d, error %q, stack %q, died %v; want 1 attempt, the panic and its stack", d.Attempts, d.Error, d.Stack, d.Died)
		}
		r, _ := in.Task(ctx, "default", running[0])
		if r.Worker == "" || r.Started.IsZero() || r.Tenant != "initech" {
			t.Errorf("running task: worker %q, started %v, tenant %q", r.Worker, r.Started, r.Tenant)
		}
		if _, err := in.Task(ctx, "idle", "NOSUCHTASK"); !errors.Is(err, runtime.ErrTaskNotFound) {
			t.Errorf("Task of an unknown ID = %v, want ErrTaskNotFound", err)
		}
	})
}
