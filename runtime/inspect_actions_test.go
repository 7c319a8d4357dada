package runtime_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// ledger records the runs of tasks by ID, with the tenant each ran in.
type ledger struct {
	mu     sync.Mutex
	runs   map[runtime.TaskID][]string // tenants of the successful runs
	failed map[runtime.TaskID]bool     // the first run failed, on purpose
}

func newLedger() *ledger {
	return &ledger{runs: map[runtime.TaskID][]string{}, failed: map[runtime.TaskID]bool{}}
}

// task returns a task that succeeds, except on the first run of tasks
// whose N is a multiple of 3, which fail permanently (to the dead letter
// set).
func (l *ledger) task(name string) *runtime.Task[echoArgs] {
	return runtime.NewTask(runtime.TaskSpec{Name: name}, func(ctx context.Context, a echoArgs) error {
		job, _ := runtime.JobFrom(ctx)
		l.mu.Lock()
		defer l.mu.Unlock()
		if a.N%3 == 0 && !l.failed[job.ID] {
			l.failed[job.ID] = true
			return runtime.Permanent(errors.New("first run fails"))
		}
		l.runs[job.ID] = append(l.runs[job.ID], job.Tenant)
		return nil
	})
}

func (l *ledger) ran(id runtime.TaskID) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.runs[id]
}

// TestInspectorActionsUnderLoad acts on tasks while two worker processes
// (two Apps) run them: ready tasks deleted as workers fetch them, delayed
// tasks retried now, deleted and cancelled, dead tasks requeued tenant by
// tenant. No task is lost or run twice: a deleted task never runs, every
// other one succeeds exactly once, and a requeued dead task runs in its
// own tenant.
func TestInspectorActionsUnderLoad(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) { c.Concurrency = 4 })
	ctx := context.Background()
	l := newLedger()
	task := l.task("test.ledger")
	b.reg.Register(task)
	other := b.openApp(t, nil)
	in := other.Inspector() // an App that runs no worker acts as well
	tenants := []string{"t0", "t1", "t2", "t3", "t4"}
	tenantOf := map[runtime.TaskID]string{}
	enqueue := func(n int, opts ...runtime.EnqueueOption) []runtime.TaskID {
		var all []runtime.TaskID
		for i := range n {
			tenant := tenants[i%len(tenants)]
			got := enqueueFor(t, b.app, task, echoArgs{N: i}, []string{tenant}, opts...)
			tenantOf[got[0]] = tenant
			all = append(all, got...)
		}
		return all
	}
	delayed := enqueue(30, runtime.Delay(time.Hour))
	first := enqueue(150)
	b.run(t)
	startRun(t, other)

	// Delete ready tasks while the workers fetch them.
	batch := enqueue(150)
	deleted := map[runtime.TaskID]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, id := range batch {
		wg.Go(func() {
			err := in.Delete(ctx, "default", id)
			switch {
			case err == nil:
				mu.Lock()
				deleted[id] = true
				mu.Unlock()
			case errors.Is(err, runtime.ErrTaskNotFound), errors.Is(err, runtime.ErrTaskState):
				// A worker took it first.
			default:
				t.Errorf("Delete %s: %v", id, err)
			}
		})
	}
	wg.Wait()

	// Delayed tasks: 10 retried now, 10 deleted, 10 cancelled.
	for i, id := range delayed {
		var err error
		switch i % 3 {
		case 0:
			err = in.RetryNow(ctx, "default", id)
		case 1:
			err = in.Delete(ctx, "default", id)
			deleted[id] = true
		case 2:
			var st runtime.TaskState
			st, err = in.Cancel(ctx, "default", id)
			if st != runtime.StateScheduled {
				t.Errorf("Cancel of a delayed task: state %q, want scheduled", st)
			}
			deleted[id] = true
		}
		if err != nil {
			t.Fatalf("action %d on %s: %v", i%3, id, err)
		}
	}

	// Dead tasks (N a multiple of 3 fail once): requeue them by tenant, as
	// they arrive.
	all := append(append(first, batch...), delayed...)
	var live []runtime.TaskID
	wantDead := 0
	for i, id := range all {
		if deleted[id] {
			continue
		}
		live = append(live, id)
		n := i % 150
		if i >= 300 {
			n = i - 300
		}
		if n%3 == 0 {
			wantDead++
		}
	}
	requeued := 0
	testenv.WaitFor(t, "every dead task requeued", func() bool {
		for _, tenant := range tenants {
			n, err := in.RequeueAll(ctx, "default", tenant, nil)
			if err != nil {
				t.Fatal(err)
			}
			requeued += n
		}
		return requeued >= wantDead
	})
	testenv.WaitFor(t, "every task not deleted to succeed", func() bool {
		for _, id := range live {
			if len(l.ran(id)) == 0 {
				return false
			}
		}
		return true
	})
	if requeued != wantDead {
		t.Errorf("requeued %d dead tasks, want %d", requeued, wantDead)
	}
	for _, id := range live {
		runs := l.ran(id)
		if len(runs) != 1 {
			t.Errorf("task %s succeeded %d times, want once", id, len(runs))
		}
		if strings.Join(runs, ",") != tenantOf[id] {
			t.Errorf("task %s ran in tenants %v, want %q", id, runs, tenantOf[id])
		}
	}
	for id := range deleted {
		if runs := l.ran(id); len(runs) > 0 {
			t.Errorf("deleted task %s ran %d times", id, len(runs))
		}
	}
	t.Logf("%d of %d ready tasks deleted before the workers took them; %d dead tasks requeued", len(deleted)-20, len(batch), requeued)
	// A task's acknowledgement follows its success: wait for the last ones.
	var q runtime.QueueInfo
	if !testenv.Eventually(func() bool {
		qs, err := in.Queues(ctx, "default")
		if err != nil {
			t.Fatal(err)
		}
		q = qs[0]
		return q.Ready+q.Scheduled+q.Retrying+q.Running+q.Dead == 0 && q.Lanes == 0
	}) {
		t.Errorf("queue left with %+v, want nothing", q)
	}
	page, err := in.Tenants(ctx, runtime.TenantQuery{Queue: "default"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range page.Tenants {
		if ti.Dead != 0 || ti.Ready != 0 {
			t.Errorf("tenant %s left with %d dead and %d ready tasks", ti.ID, ti.Dead, ti.Ready)
		}
	}
}
