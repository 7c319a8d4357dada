package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// queueBundle is what a queue test works with: a registry, an App on a
// key prefix of its own, and a way to run workers.
type queueBundle struct {
	reg    *runtime.Registry
	app    *runtime.App
	cfg    runtime.Config
	prefix string
}

// setupQueue opens an App on a fresh key prefix of the test Redis; the keys
// are deleted when the test ends. mod adjusts the configuration.
func setupQueue(t testing.TB, mod func(*runtime.Config)) *queueBundle {
	t.Helper()
	rdb := testenv.Redis(t)
	prefix := testenv.KeyPrefix(t, rdb, "test")
	reg := runtime.NewRegistry()
	cfg := runtime.Config{
		Redis:     rdb,
		Prefix:    prefix,
		Registry:  reg,
		Backoff:   func(int) time.Duration { return time.Millisecond },
		Heartbeat: 100 * time.Millisecond,
		WorkerTTL: 500 * time.Millisecond,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if os.Getenv("TENANTGEN_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if mod != nil {
		mod(&cfg)
	}
	app, err := runtime.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return &queueBundle{reg: reg, app: app, cfg: cfg, prefix: prefix}
}

// run runs a worker until the test ends, and returns a function that stops
// it and returns Run's error.
func (b *queueBundle) run(t testing.TB) func() error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- b.app.Run(ctx) }()
	var once sync.Once
	var err error
	stop := func() error {
		once.Do(func() { cancel(); err = <-errc })
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

type echoArgs struct {
	N int `json:"n"`
}

func TestQueueRoundTrip(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil)
	var mu sync.Mutex
	seen := map[int]string{}
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.echo"}, func(ctx context.Context, a echoArgs) error {
		job, _ := runtime.JobFrom(ctx)
		mu.Lock()
		seen[a.N] = job.Tenant
		mu.Unlock()
		return nil
	})
	if err := b.reg.Register(task); err != nil {
		t.Fatal(err)
	}
	b.run(t)
	ctx := runtime.WithTenant(t.Context(), "acme")
	for i := range 100 {
		if _, err := task.Enqueue(ctx, b.app, echoArgs{N: i}); err != nil {
			t.Fatal(err)
		}
	}
	testenv.WaitFor(t, "100 tasks", func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) == 100 })
	for i := range 100 {
		if seen[i] != "acme" {
			t.Errorf("task %d ran for tenant %q, want acme", i, seen[i])
		}
	}
	testenv.WaitFor(t, "queue empty", func() bool {
		st, err := b.app.Stats(t.Context(), "default")
		return err == nil && st == runtime.QueueStats{}
	})
}

func TestQueueRetriesThenSucceeds(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil)
	var calls atomic.Int32
	done := make(chan int, 1)
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.flaky", Retries: 5}, func(ctx context.Context, _ runtime.NoArgs) error {
		job, _ := runtime.JobFrom(ctx)
		if calls.Add(1) < 3 {
			return errors.New("not yet")
		}
		done <- job.Attempt
		return nil
	})
	b.reg.Register(task)
	b.run(t)
	if _, err := task.Enqueue(runtime.WithTenant(t.Context(), "acme"), b.app, runtime.NoArgs{}); err != nil {
		t.Fatal(err)
	}
	select {
	case attempt := <-done:
		if attempt != 3 {
			t.Errorf("succeeded at attempt %d, want 3", attempt)
		}
	case <-time.After(testenv.Timeout):
		t.Fatal("task never succeeded")
	}
}

func TestQueueDeadLetter(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil)
	var calls atomic.Int32
	exhausted := runtime.NewTask(runtime.TaskSpec{Name: "test.exhausted", Retries: 2}, func(ctx context.Context, _ runtime.NoArgs) error {
		calls.Add(1)
		return errors.New("always fails")
	})
	var permCalls atomic.Int32
	permanent := runtime.NewTask(runtime.TaskSpec{Name: "test.permanent", Retries: 5}, func(ctx context.Context, _ runtime.NoArgs) error {
		permCalls.Add(1)
		return runtime.Permanent(errors.New("bad input"))
	})
	panics := runtime.NewTask(runtime.TaskSpec{Name: "test.panics", Retries: runtime.NoRetries}, func(ctx context.Context, _ runtime.NoArgs) error {
		panic("boom")
	})
	b.reg.Register(exhausted, permanent, panics)
	b.run(t)
	ctx := runtime.WithTenant(t.Context(), "acme")
	for _, task := range []*runtime.Task[runtime.NoArgs]{exhausted, permanent, panics} {
		if _, err := task.Enqueue(ctx, b.app, runtime.NoArgs{}); err != nil {
			t.Fatal(err)
		}
	}
	var dead []runtime.DeadTask
	testenv.WaitFor(t, "3 dead tasks", func() bool {
		var err error
		dead, err = b.app.DeadTasks(t.Context(), "default", 10)
		return err == nil && len(dead) == 3
	})
	byName := map[string]runtime.DeadTask{}
	for _, d := range dead {
		byName[d.Name] = d
	}
	if d := byName["test.exhausted"]; d.Attempts != 3 || d.Error != "always fails" || d.Tenant != "acme" {
		t.Errorf("exhausted task: %+v, want 3 attempts, error %q, tenant acme", d, "always fails")
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("exhausted task ran %d times, want 3", got)
	}
	if d := byName["test.permanent"]; d.Attempts != 1 || permCalls.Load() != 1 {
		t.Errorf("permanent task: %+v after %d calls, want 1 attempt", d, permCalls.Load())
	}
	if d := byName["test.panics"]; !strings.Contains(d.Error, "panic: boom") || !strings.Contains(d.Error, "goroutine") {
		t.Errorf("panicking task error = %q, want the panic value and a stack", d.Error)
	}

	// A dead task can be enqueued again, with fresh retries.
	if err := b.app.RequeueDead(t.Context(), "default", byName["test.permanent"].ID); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "requeued task to run", func() bool { return permCalls.Load() == 2 })
	if err := b.app.RequeueDead(t.Context(), "default", "no-such-task"); err == nil {
		t.Error("RequeueDead of an unknown task succeeded")
	}
}

func TestQueueBatch(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) { c.Concurrency = 32 })
	var ran atomic.Int32
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.count"}, func(ctx context.Context, a echoArgs) error {
		ran.Add(1)
		return nil
	})
	b.reg.Register(task)
	const n = 10_000
	reqs := make([]runtime.Request, n)
	ctx := runtime.WithTenant(t.Context(), "acme")
	for i := range reqs {
		req, err := task.NewRequest(ctx, echoArgs{N: i})
		if err != nil {
			t.Fatal(err)
		}
		reqs[i] = req
	}
	ids, err := b.app.EnqueueMany(t.Context(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	unique := map[runtime.TaskID]bool{}
	for _, id := range ids {
		unique[id] = true
	}
	if len(unique) != n {
		t.Fatalf("EnqueueMany returned %d distinct IDs, want %d", len(unique), n)
	}
	b.run(t)
	testenv.WaitFor(t, fmt.Sprintf("%d tasks", n), func() bool { return ran.Load() == n })
}

// TestQueueDefaultNoRetries: Config.DefaultRetries = NoRetries sends a
// failed task without a retry setting of its own straight to the dead
// letter set, while a task's own setting still wins.
func TestQueueDefaultNoRetries(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) { c.DefaultRetries = runtime.NoRetries })
	var plain, own atomic.Int32
	plainTask := runtime.NewTask(runtime.TaskSpec{Name: "test.plain"}, func(ctx context.Context, _ runtime.NoArgs) error {
		plain.Add(1)
		return errors.New("fails")
	})
	ownTask := runtime.NewTask(runtime.TaskSpec{Name: "test.own", Retries: 1}, func(ctx context.Context, _ runtime.NoArgs) error {
		own.Add(1)
		return errors.New("fails")
	})
	if err := b.reg.Register(plainTask, ownTask); err != nil {
		t.Fatal(err)
	}
	b.run(t)
	ctx := runtime.WithTenant(t.Context(), "acme")
	for _, task := range []*runtime.Task[runtime.NoArgs]{plainTask, ownTask} {
		if _, err := task.Enqueue(ctx, b.app, runtime.NoArgs{}); err != nil {
			t.Fatal(err)
		}
	}
	testenv.WaitFor(t, "2 dead tasks", func() bool {
		dead, err := b.app.DeadTasks(t.Context(), "default", 10)
		return err == nil && len(dead) == 2
	})
	if got := plain.Load(); got != 1 {
		t.Errorf("task without a retry setting ran %d times, want 1 (DefaultRetries = NoRetries)", got)
	}
	if got := own.Load(); got != 2 {
		t.Errorf("task with Retries: 1 ran %d times, want 2", got)
	}
}
