package runtime_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// TestInspectorCancelAcrossApps: one App works a task that runs until its
// context ends; another App, which runs no worker, cancels it. The task's
// context is cancelled in the first App's process, and the task goes to
// the dead letter set as cancelled, without a retry. A ready task is
// removed by Cancel, and a dead one cannot be cancelled.
func TestInspectorCancelAcrossApps(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil)
	ctx := context.Background()
	var starts atomic.Int32
	wait := runtime.NewTask(runtime.TaskSpec{Name: "test.wait"}, func(ctx context.Context, _ echoArgs) error {
		starts.Add(1)
		<-ctx.Done()
		return context.Cause(ctx)
	})
	idle := runtime.NewTask(runtime.TaskSpec{Name: "test.idle", Queue: "idle"}, func(context.Context, echoArgs) error { return nil })
	b.reg.Register(wait, idle)
	b.run(t)
	rdb := testenv.Redis(t)
	testenv.WaitFor(t, "the worker to listen for cancel requests", func() bool {
		n, err := rdb.PubSubNumSub(ctx, b.prefix+":cancel").Result()
		return err == nil && n[b.prefix+":cancel"] > 0
	})
	in := b.openApp(t, nil).Inspector()

	id := enqueueFor(t, b.app, wait, echoArgs{}, []string{"acme"})[0]
	testenv.WaitFor(t, "the task to run", func() bool {
		task, err := in.Task(ctx, "default", id)
		return err == nil && task.State == runtime.StateRunning
	})
	st, err := in.Cancel(ctx, "default", id)
	if err != nil || st != runtime.StateRunning {
		t.Fatalf("Cancel of a running task = %q, %v; want running, nil", st, err)
	}
	var dead runtime.TaskInfo
	testenv.WaitFor(t, "the cancelled task in the dead letter set", func() bool {
		dead, err = in.Task(ctx, "default", id)
		return err == nil && dead.State == runtime.StateDead
	})
	if !strings.Contains(dead.Error, "cancelled") || dead.Tenant != "acme" {
		t.Errorf("cancelled task: error %q, tenant %q; want a cancellation of acme's task", dead.Error, dead.Tenant)
	}
	if n := starts.Load(); n != 1 {
		t.Errorf("the task started %d times, want once", n)
	}
	if st, err := in.Cancel(ctx, "default", id); !errors.Is(err, runtime.ErrTaskState) || st != runtime.StateDead {
		t.Errorf("Cancel of a dead task = %q, %v; want dead and ErrTaskState", st, err)
	}

	ready := enqueueFor(t, b.app, idle, echoArgs{}, []string{"acme"})[0]
	if st, err := in.Cancel(ctx, "idle", ready); err != nil || st != runtime.StateReady {
		t.Errorf("Cancel of a ready task = %q, %v; want ready, nil", st, err)
	}
	if _, err := in.Task(ctx, "idle", ready); !errors.Is(err, runtime.ErrTaskNotFound) {
		t.Errorf("Task of a cancelled ready task = %v, want ErrTaskNotFound", err)
	}
	if _, err := in.Cancel(ctx, "idle", ready); !errors.Is(err, runtime.ErrTaskNotFound) {
		t.Errorf("Cancel again = %v, want ErrTaskNotFound", err)
	}
}

// TestInspectorWorkersAndHistory: Workers lists the live worker with the
// task it runs, and History and Tenants show the attempts that workers
// counted, once a heartbeat has added them to Redis.
func TestInspectorWorkersAndHistory(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) { c.Concurrency = 3 })
	ctx := context.Background()
	release := make(chan struct{})
	block := runtime.NewTask(runtime.TaskSpec{Name: "test.block"}, func(ctx context.Context, _ echoArgs) error {
		<-release
		return nil
	})
	ok := runtime.NewTask(runtime.TaskSpec{Name: "test.ok"}, func(context.Context, echoArgs) error { return nil })
	bad := runtime.NewTask(runtime.TaskSpec{Name: "test.bad"}, func(context.Context, echoArgs) error {
		return runtime.Permanent(errors.New("bad"))
	})
	b.reg.Register(block, ok, bad)
	b.run(t)
	in := b.app.Inspector()
	start := time.Now()

	id := enqueueFor(t, b.app, block, echoArgs{}, []string{"acme"})[0]
	var ws []runtime.WorkerInfo
	testenv.WaitFor(t, "the worker to run the task", func() bool {
		var err error
		ws, err = in.Workers(ctx)
		return err == nil && len(ws) == 1 && len(ws[0].Running) == 1
	})
	w := ws[0]
	if r := w.Running[0]; r.ID != id || r.Name != "test.block" || r.Tenant != "acme" || r.Queue != "default" || r.Started.IsZero() {
		t.Errorf("running task = %+v, want acme's test.block %s", r, id)
	}
	if w.Concurrency != 3 || w.PID == 0 || w.LastBeat.Before(start.Add(-time.Second)) || len(w.Queues) != 1 {
		t.Errorf("worker = %+v", w)
	}
	close(release)

	enqueueFor(t, b.app, ok, echoArgs{}, []string{"acme", "globex", "globex"})
	enqueueFor(t, b.app, bad, echoArgs{}, []string{"globex", "globex"})
	testenv.WaitFor(t, "6 attempts, 2 failed, in the history", func() bool {
		h, err := in.History(ctx, "default", start)
		if err != nil || len(h) == 0 {
			return false
		}
		var done, failed int64
		for _, m := range h {
			done, failed = done+m.Processed, failed+m.Failed
		}
		return done == 6 && failed == 2
	})
	page, err := in.Tenants(ctx, runtime.TenantQuery{Sort: runtime.ByFailures, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Tenants) != 1 || page.Tenants[0].ID != "globex" || page.Tenants[0].Failures != 2 || page.Tenants[0].Dead != 2 {
		t.Errorf("tenant with the most failures = %+v, want globex with 2 failures and 2 dead tasks", page.Tenants)
	}
	h, _ := in.History(ctx, "default", time.Now().Add(-2*time.Hour))
	if len(h) < 60 || len(h) > 62 {
		t.Errorf("History of 2 hours returned %d minutes, want the last hour's", len(h))
	}
}
