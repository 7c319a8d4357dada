package runtime_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// TestInspectorOnCluster: the Inspector's reads and actions work on a
// three-node Redis Cluster, with a queue on each node (a script that
// touched another queue's keys would fail with CROSSSLOT), a queue split
// into partitions, and the cancel of a running task through Pub/Sub.
func TestInspectorOnCluster(t *testing.T) {
	t.Parallel()
	addrs := testenv.RedisCluster(t)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { cc.Close() })
	queues := queuePerNode(t, cc, len(addrs))
	var names []string
	for q := range queues {
		names = append(names, q)
	}
	slices.Sort(names)
	ctx := context.Background()
	reg := runtime.NewRegistry()
	wait := runtime.NewTask(runtime.TaskSpec{Name: "test.wait"}, func(ctx context.Context, _ echoArgs) error {
		<-ctx.Done()
		return ctx.Err()
	})
	doomed := runtime.NewTask(runtime.TaskSpec{Name: "test.doomed"}, func(context.Context, echoArgs) error {
		return runtime.Permanent(errors.New("doomed"))
	})
	reg.Register(wait, doomed)
	app, err := runtime.Open(ctx, runtime.Config{
		Redis:           cc,
		Prefix:          "ci-" + strings.ToLower(rand.Text()[:8]),
		Registry:        reg,
		Queues:          map[string]int{names[0]: 1},
		QueuePartitions: map[string]int{names[1]: 3},
		Heartbeat:       100 * time.Millisecond,
		WorkerTTL:       500 * time.Millisecond,
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	startRun(t, app)
	in := app.Inspector()

	tenants := []string{"acme", "globex", "initech", "hooli"}
	ready := enqueueFor(t, app, wait, echoArgs{}, tenants, runtime.Queue(names[1]))
	later := enqueueFor(t, app, wait, echoArgs{}, tenants, runtime.Queue(names[2]), runtime.Delay(time.Hour))
	running := enqueueFor(t, app, wait, echoArgs{}, []string{"acme"}, runtime.Queue(names[0]))[0]
	dead := enqueueFor(t, app, doomed, echoArgs{}, []string{"globex"}, runtime.Queue(names[0]))[0]
	testenv.WaitFor(t, "a running and a dead task", func() bool {
		a, err1 := in.Task(ctx, names[0], running)
		d, err2 := in.Task(ctx, names[0], dead)
		return err1 == nil && err2 == nil && a.State == runtime.StateRunning && d.State == runtime.StateDead
	})

	qs, err := in.Queues(ctx, names...)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]runtime.QueueInfo{}
	for _, q := range qs {
		got[q.Name] = q
	}
	if q := got[names[0]]; q.Running != 1 || q.Dead != 1 {
		t.Errorf("queue %s: %+v, want 1 running and 1 dead task", names[0], q)
	}
	if q := got[names[1]]; q.Ready != 4 || q.Partitions != 3 {
		t.Errorf("queue %s: %+v, want 4 ready tasks in 3 partitions", names[1], q)
	}
	if q := got[names[2]]; q.Scheduled != 4 {
		t.Errorf("queue %s: %+v, want 4 scheduled tasks", names[2], q)
	}
	for _, q := range names {
		page, err := in.Tenants(ctx, runtime.TenantQuery{Queue: q})
		if err != nil {
			t.Fatalf("Tenants of %s: %v", q, err)
		}
		if len(page.Tenants) == 0 {
			t.Errorf("Tenants of %s: none", q)
		}
	}
	for i, id := range ready {
		if err := in.Delete(ctx, names[1], id); err != nil {
			t.Errorf("Delete of %s's ready task: %v", tenants[i], err)
		}
	}
	for _, id := range later {
		if err := in.RetryNow(ctx, names[2], id); err != nil {
			t.Errorf("RetryNow: %v", err)
		}
	}
	if err := in.Requeue(ctx, names[0], dead); err != nil {
		t.Errorf("Requeue: %v", err)
	}
	ws, err := in.Workers(ctx)
	if err != nil || len(ws) != 1 || len(ws[0].Running) == 0 {
		t.Errorf("Workers = %+v, %v; want one worker running a task", ws, err)
	}
	if st, err := in.Cancel(ctx, names[0], running); err != nil || st != runtime.StateRunning {
		t.Fatalf("Cancel = %q, %v", st, err)
	}
	testenv.WaitFor(t, "the cancelled task to be dead", func() bool {
		task, err := in.Task(ctx, names[0], running)
		if err == nil && task.State == runtime.StateRunning {
			// The worker's subscription may have been on its way: a cancel
			// request is not kept, so ask again.
			in.Cancel(ctx, names[0], running)
		}
		return err == nil && task.State == runtime.StateDead
	})
}
