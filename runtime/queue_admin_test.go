package runtime_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// TestEnqueueManyErrorsInRequestOrder: a BatchError lists its failed
// requests by ascending index, whether they were invalid or duplicates of
// unique tasks, which EnqueueMany learns about in different passes.
func TestEnqueueManyErrorsInRequestOrder(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil) // no worker: tasks stay queued
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.unique"}, func(context.Context, echoArgs) error { return nil })
	ctx := runtime.WithTenant(context.Background(), "acme")
	hour := runtime.Unique(time.Hour)
	unique := func(n int) runtime.Request {
		req, err := task.NewRequest(ctx, echoArgs{N: n}, hour)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	for n := range 8 {
		if _, err := b.app.Enqueue(ctx, unique(n)); err != nil {
			t.Fatal(err)
		}
	}
	badArgs := unique(100)
	badArgs.Args = []byte("{")
	// Duplicates at 0, 2 and 5 to 10; invalid requests at 1 and 4; new
	// tasks at 3 and 11. Enough duplicates that map order is never sorted
	// by chance (1 in 8!).
	reqs := []runtime.Request{
		unique(0), {}, unique(1), unique(50), badArgs,
		unique(2), unique(3), unique(4), unique(5), unique(6), unique(7), unique(51),
	}
	_, err := b.app.EnqueueMany(ctx, reqs)
	var be *runtime.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("EnqueueMany = %v, want a *BatchError", err)
	}
	var got []int
	for _, ie := range be.Errs {
		got = append(got, ie.Index)
	}
	want := []int{0, 1, 2, 4, 5, 6, 7, 8, 9, 10}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("BatchError indexes (-want +got):\n%s", diff)
	}
}

// TestDeadTasksLimit: DeadTasks returns at most limit tasks, newest first,
// and DefaultDeadTasksLimit of them when limit is zero or negative.
func TestDeadTasksLimit(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil)
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.doomed", Public: true}, func(context.Context, echoArgs) error {
		return runtime.Permanent(errors.New("doomed"))
	})
	b.reg.Register(task)
	const total = runtime.DefaultDeadTasksLimit + 20
	var reqs []runtime.Request
	for n := range total {
		req, err := task.NewRequest(context.Background(), echoArgs{N: n})
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, req)
	}
	if _, err := b.app.EnqueueMany(context.Background(), reqs); err != nil {
		t.Fatal(err)
	}
	b.run(t)
	testenv.WaitFor(t, "every task dead", func() bool { return b.stats(t, "default") == runtime.QueueStats{Dead: total} })

	for _, tc := range []struct {
		name  string
		limit int
		want  int
	}{
		{"zero means the default", 0, runtime.DefaultDeadTasksLimit},
		{"negative means the default", -1, runtime.DefaultDeadTasksLimit},
		{"below the total", 5, 5},
		{"the total", total, total},
		{"above the total", total + 1, total},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dead, err := b.app.DeadTasks(context.Background(), "default", tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(dead) != tc.want {
				t.Errorf("DeadTasks(%d) returned %d tasks, want %d", tc.limit, len(dead), tc.want)
			}
			for i := 1; i < len(dead); i++ {
				if dead[i].Died.After(dead[i-1].Died) {
					t.Errorf("dead task %d died at %v, after task %d (%v): want newest first", i, dead[i].Died, i-1, dead[i-1].Died)
				}
			}
		})
	}
}
