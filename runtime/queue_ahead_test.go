package runtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// TestQueueFetchAheadHandsBack checks the bound on fetching ahead: a worker
// whose tasks are short fetches more than its free slots, and a task it
// fetched behind one that then blocks goes back to its lane, where another
// worker runs it while the first task still blocks.
func TestQueueFetchAheadHandsBack(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) { c.Concurrency = 1 })
	ran := make(chan int, 100)
	release := make(chan struct{})
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.ahead"}, func(ctx context.Context, a echoArgs) error {
		if a.N < 0 {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		ran <- a.N
		return nil
	})
	if err := b.reg.Register(task); err != nil {
		t.Fatal(err)
	}
	ctx := runtime.WithTenant(context.Background(), "acme")
	enqueue := func(ns ...int) {
		t.Helper()
		reqs := make([]runtime.Request, len(ns))
		for i, n := range ns {
			req, err := task.NewRequest(ctx, echoArgs{N: n})
			if err != nil {
				t.Fatal(err)
			}
			reqs[i] = req
		}
		if _, err := b.app.EnqueueMany(ctx, reqs); err != nil {
			t.Fatal(err)
		}
	}
	b.run(t)
	// Short tasks teach the worker to fetch ahead.
	for i := range 20 {
		enqueue(i)
		if n := <-ran; n != i {
			t.Fatalf("task %d ran, want %d", n, i)
		}
	}
	defer close(release)
	enqueue(-1, 100) // the worker's one slot blocks on the first
	testenv.WaitFor(t, "the blocking task to start and the other to go back to its lane", func() bool {
		st := b.stats(t, "default")
		return st.Running == 1 && st.Ready == 1
	})
	other := b.openApp(t, nil)
	startRun(t, other)
	select {
	case n := <-ran:
		if n != 100 {
			t.Fatalf("task %d ran, want 100", n)
		}
	case <-time.After(testenv.Timeout):
		t.Fatal("the task fetched behind the blocking one did not run on the other worker")
	}
}
