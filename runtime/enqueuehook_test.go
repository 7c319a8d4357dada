package runtime_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// TestEnqueueMiddleware checks that enqueue middleware sees whole batches,
// outermost first, on every enqueue path, and that a header it adds
// reaches the task.
func TestEnqueueMiddleware(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var calls []string
	stamp := func(name string) runtime.EnqueueMiddleware {
		return func(next runtime.EnqueueFunc) runtime.EnqueueFunc {
			return func(ctx context.Context, reqs []runtime.Request) ([]runtime.TaskID, error) {
				mu.Lock()
				calls = append(calls, name)
				mu.Unlock()
				for i := range reqs {
					if reqs[i].Headers == nil {
						reqs[i].Headers = map[string]string{}
					}
					reqs[i].Headers["stamped"] += name
				}
				return next(ctx, reqs)
			}
		}
	}
	b := setupQueue(t, func(c *runtime.Config) {
		c.EnqueueMiddleware = []runtime.EnqueueMiddleware{stamp("a"), stamp("b")}
	})
	got := make(chan string, 3)
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.stamped"}, func(ctx context.Context, _ runtime.NoArgs) error {
		job, _ := runtime.JobFrom(ctx)
		got <- job.Headers["stamped"]
		return nil
	})
	if err := b.reg.Register(task); err != nil {
		t.Fatal(err)
	}
	b.run(t)
	ctx := runtime.WithTenant(t.Context(), "acme")
	if _, err := task.Enqueue(ctx, b.app, runtime.NoArgs{}); err != nil {
		t.Fatal(err)
	}
	req, err := task.NewRequest(ctx, runtime.NoArgs{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.app.EnqueueMany(ctx, []runtime.Request{req, req}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		select {
		case h := <-got:
			if h != "ab" {
				t.Errorf("task header stamped = %q, want %q (outermost first)", h, "ab")
			}
		case <-time.After(testenv.Timeout):
			t.Fatal("the tasks never ran")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"a", "b", "a", "b"}, calls); diff != "" {
		t.Errorf("middleware calls, one per batch (-want +got):\n%s", diff)
	}
}
