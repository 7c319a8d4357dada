package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// enqueueFor enqueues a task of task for each tenant of tenants ("" for a
// public one), with opts, and returns their IDs.
func enqueueFor[T any](t *testing.T, app *runtime.App, task *runtime.Task[T], args T, tenants []string, opts ...runtime.EnqueueOption) []runtime.TaskID {
	t.Helper()
	var reqs []runtime.Request
	for _, tenant := range tenants {
		o := opts
		if tenant != "" {
			o = append([]runtime.EnqueueOption{runtime.ForTenant(tenant)}, opts...)
		}
		req, err := task.NewRequest(context.Background(), args, o...)
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, req)
	}
	ids, err := app.EnqueueMany(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestInspectorCounts: Queues and Tenants count every state of a queue's
// tasks, by queue and by tenant, while a worker runs: ready and delayed
// tasks in a queue that no worker serves, running and dead ones in the
// default queue.
func TestInspectorCounts(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) { c.Queues = map[string]int{"default": 1} })
	ctx := context.Background()
	release := make(chan struct{})
	defer close(release)
	idle := runtime.NewTask(runtime.TaskSpec{Name: "test.idle", Queue: "idle"}, func(context.Context, echoArgs) error { return nil })
	block := runtime.NewTask(runtime.TaskSpec{Name: "test.block"}, func(ctx context.Context, _ echoArgs) error {
		<-release
		return nil
	})
	doomed := runtime.NewTask(runtime.TaskSpec{Name: "test.doomed"}, func(context.Context, echoArgs) error {
		return runtime.Permanent(errors.New("doomed"))
	})
	pub := runtime.NewTask(runtime.TaskSpec{Name: "test.pub", Queue: "idle", Public: true}, func(context.Context, echoArgs) error { return nil })
	b.reg.Register(idle, block, doomed, pub)
	in := b.app.Inspector()

	enqueueFor(t, b.app, idle, echoArgs{}, []string{"acme", "acme", "acme", "globex"})
	enqueueFor(t, b.app, pub, echoArgs{}, []string{"", ""})
	enqueueFor(t, b.app, idle, echoArgs{}, []string{"acme", "initech"}, runtime.Delay(time.Hour))
	b.run(t)
	enqueueFor(t, b.app, doomed, echoArgs{}, []string{"acme", "globex", "globex"})
	enqueueFor(t, b.app, block, echoArgs{}, []string{"initech", "initech"})
	if err := in.PauseTenant(ctx, "hooli", "idle"); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "2 running and 3 dead tasks", func() bool {
		qs, err := in.Queues(ctx)
		return err == nil && len(qs) == 2 && qs[0].Running == 2 && qs[0].Dead == 3
	})

	qs, err := in.Queues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []runtime.QueueInfo{
		{Name: "default", Partitions: 1, Running: 2, Dead: 3},
		{Name: "idle", Partitions: 1, Ready: 6, Scheduled: 2, Lanes: 3, PausedTenants: 1},
	}
	if diff := cmp.Diff(want, qs, cmpopts.IgnoreFields(runtime.QueueInfo{}, "OldestReady")); diff != "" {
		t.Errorf("Queues (-want +got):\n%s", diff)
	}
	if qs[1].OldestReady <= 0 || qs[1].OldestReady > time.Minute {
		t.Errorf("idle queue's OldestReady = %v, want the age of its first task", qs[1].OldestReady)
	}

	page, err := in.Tenants(ctx, runtime.TenantQuery{})
	if err != nil {
		t.Fatal(err)
	}
	wantT := []runtime.TenantInfo{
		{ID: "acme", Ready: 3, Scheduled: 1, Dead: 1, Failures: 0},
		{ID: "-", Ready: 2},
		{ID: "globex", Ready: 1, Dead: 2},
		{ID: "initech", Scheduled: 1, Running: 2},
		{ID: "hooli", PausedIn: []string{"idle"}},
	}
	if diff := cmp.Diff(wantT, page.Tenants, cmpopts.IgnoreFields(runtime.TenantInfo{}, "Failures")); diff != "" {
		t.Errorf("Tenants by backlog (-want +got):\n%s", diff)
	}
	if page.Total != 5 || page.Next != 0 {
		t.Errorf("Tenants: Total %d, Next %d; want 5 and 0", page.Total, page.Next)
	}

	tests := []struct {
		q    runtime.TenantQuery
		want []string
		next int
	}{
		{runtime.TenantQuery{Sort: runtime.ByDead, Limit: 2}, []string{"globex", "acme"}, 2},
		{runtime.TenantQuery{Sort: runtime.ByDead, Limit: 2, Offset: 2}, []string{"-", "hooli"}, 4},
		{runtime.TenantQuery{Sort: runtime.ByRunning, Limit: 1}, []string{"initech"}, 1},
		{runtime.TenantQuery{Sort: runtime.ByID, Prefix: "g"}, []string{"globex"}, 0},
		{runtime.TenantQuery{Queue: "default", Sort: runtime.ByID}, []string{"acme", "globex", "initech"}, 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%+v", tc.q), func(t *testing.T) {
			page, err := in.Tenants(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ti := range page.Tenants {
				got = append(got, ti.ID)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" || page.Next != tc.next {
				t.Errorf("tenants (-want +got):\n%s; next %d, want %d", diff, page.Next, tc.next)
			}
		})
	}
	if _, err := in.Tenants(ctx, runtime.TenantQuery{Sort: "noise"}); err == nil {
		t.Error("Tenants with an unknown order: no error")
	}
}
