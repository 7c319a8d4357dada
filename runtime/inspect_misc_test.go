package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// TestInspectorScheduler: Scheduler reports the leader, the App's entries
// with their timing, targets, last tick and next run, and entries known
// only by their state in Redis.
func TestInspectorScheduler(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(time.Date(2026, 1, 1, 10, 30, 0, 0, time.UTC))
	pub := runtime.NewTask(runtime.TaskSpec{Name: "test.pub", Public: true}, func(context.Context, echoArgs) error { return nil })
	b := setupQueue(t, func(c *runtime.Config) {
		c.Registry.Register(pub)
		c.Schedule = runtime.SchedulerConfig{Entries: []runtime.Entry{{Name: "hourly", Task: "test.pub", Every: time.Hour}}, Now: clock.Now}
	})
	ctx := context.Background()
	in := b.app.Inspector()

	info, err := in.Scheduler(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := runtime.SchedulerInfo{Entries: []runtime.ScheduleEntryInfo{{
		ID: "hourly@public", Task: "test.pub", Timing: "every 1h0m0s", Targets: "public", Source: "go",
		NextRun: info.Entries[0].NextRun,
	}}}
	if diff := cmp.Diff(want, info); diff != "" {
		t.Errorf("Scheduler before any tick (-want +got):\n%s", diff)
	}

	s, err := runtime.NewScheduler(b.app, b.cfg.Schedule)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	rdb := testenv.Redis(t)
	if err := rdb.HSet(ctx, b.prefix+":{sched}:state", "elsewhere@public", clock.Now().Add(-time.Hour).UnixMilli()).Err(); err != nil {
		t.Fatal(err)
	}
	info, err = in.Scheduler(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Leader == "" || info.LeaderTTL <= 0 {
		t.Errorf("Leader %q, TTL %v after a tick; want the scheduler's lease", info.Leader, info.LeaderTTL)
	}
	want = runtime.SchedulerInfo{Leader: info.Leader, LeaderTTL: info.LeaderTTL, Entries: []runtime.ScheduleEntryInfo{
		{ID: "elsewhere@public", LastTick: clock.Now().Add(-time.Hour).Local()},
		{ID: "hourly@public", Task: "test.pub", Timing: "every 1h0m0s", Targets: "public", Source: "go",
			LastTick: clock.Now().Local(), NextRun: time.Date(2026, 1, 1, 11, 0, 0, 0, time.UTC)},
	}}
	if diff := cmp.Diff(want, info); diff != "" {
		t.Errorf("Scheduler after a tick (-want +got):\n%s", diff)
	}
}

// TestInspectorPauseAndDeadIndex: the Inspector's pause and resume show in
// Tenants and Queues, and the dead letter set's index by tenant follows
// the trimming of the set (Config.DeadMaxLen).
func TestInspectorPauseAndDeadIndex(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) { c.DeadMaxLen = 4 })
	doomed := runtime.NewTask(runtime.TaskSpec{Name: "test.doomed"}, func(context.Context, echoArgs) error {
		return runtime.Permanent(context.Canceled)
	})
	b.reg.Register(doomed)
	ctx := context.Background()
	in := b.app.Inspector()
	if err := in.PauseQueue(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	if err := in.PauseTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	qs, err := in.Queues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !qs[0].Paused || qs[0].PausedTenants != 1 {
		t.Errorf("queue %+v, want paused with 1 paused tenant", qs[0])
	}
	if err := in.ResumeQueue(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	if err := in.ResumeTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	b.run(t)
	enqueueFor(t, b.app, doomed, echoArgs{}, []string{"acme", "acme", "acme", "globex", "globex", "initech"})
	testenv.WaitFor(t, "6 tasks dead, 4 kept", func() bool {
		h, err := in.History(ctx, "default", time.Now().Add(-time.Minute))
		if err != nil {
			return false
		}
		var failed int64
		for _, m := range h {
			failed += m.Failed
		}
		// A failure is counted before its task is settled: wait for the
		// six to be in the dead letter set too.
		return failed == 6 && b.stats(t, "default").Running == 0
	})
	page, err := in.Tenants(ctx, runtime.TenantQuery{Sort: runtime.ByID})
	if err != nil {
		t.Fatal(err)
	}
	var dead int64
	for _, ti := range page.Tenants {
		dead += ti.Dead
		list, err := in.Tasks(ctx, runtime.TaskQuery{Queue: "default", State: runtime.StateDead, Tenant: ti.ID})
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(list.Tasks)) != ti.Dead {
			t.Errorf("tenant %s: %d dead tasks listed, %d counted", ti.ID, len(list.Tasks), ti.Dead)
		}
		if len(ti.PausedIn) > 0 {
			t.Errorf("tenant %s still paused in %v", ti.ID, ti.PausedIn)
		}
	}
	if dead != 4 {
		t.Errorf("tenants' dead tasks add up to %d, want the 4 that DeadMaxLen keeps", dead)
	}
	ids := []string{}
	for _, ti := range page.Tenants {
		ids = append(ids, ti.ID)
	}
	if !slices.IsSorted(ids) {
		t.Errorf("tenants by ID: %v", ids)
	}
}

// TestInspectorPartitions: with a queue split into partitions, the
// Inspector counts, lists, finds and deletes tasks in every partition.
func TestInspectorPartitions(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) { c.QueuePartitions = map[string]int{"default": 3} })
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.idle"}, func(context.Context, echoArgs) error { return nil })
	b.reg.Register(task)
	ctx := context.Background()
	in := b.app.Inspector()
	tenants := []string{"t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"}
	ready := enqueueFor(t, b.app, task, echoArgs{}, tenants)
	later := enqueueFor(t, b.app, task, echoArgs{}, tenants, runtime.Delay(time.Hour))

	qs, err := in.Queues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if q := qs[0]; q.Partitions != 3 || q.Ready != 8 || q.Scheduled != 8 || q.Lanes != 8 {
		t.Errorf("queue %+v, want 3 partitions, 8 ready and 8 scheduled tasks in 8 lanes", q)
	}
	page, err := in.Tenants(ctx, runtime.TenantQuery{Sort: runtime.ByID})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Tenants) != 8 {
		t.Fatalf("%d tenants, want 8", len(page.Tenants))
	}
	for i, ti := range page.Tenants {
		if ti.ID != tenants[i] || ti.Ready != 1 || ti.Scheduled != 1 {
			t.Errorf("tenant %+v, want %s with 1 ready and 1 scheduled task", ti, tenants[i])
		}
	}
	list, err := in.Tasks(ctx, runtime.TaskQuery{Queue: "default", State: runtime.StateReady})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ready, ids(list.Tasks)); diff != "" {
		t.Errorf("ready tasks, by lane over every partition (-want +got):\n%s", diff)
	}
	for i := range tenants {
		for _, id := range []runtime.TaskID{ready[i], later[i]} {
			got, err := in.Task(ctx, "default", id)
			if err != nil || got.Tenant != tenants[i] {
				t.Errorf("Task(%s) = %+v, %v; want the task of %s", id, got, err, tenants[i])
			}
			if err := in.Delete(ctx, "default", id); err != nil {
				t.Errorf("Delete(%s): %v", id, err)
			}
		}
	}
	qs, _ = in.Queues(ctx)
	if q := qs[0]; q.Ready+q.Scheduled != 0 || q.Lanes != 0 {
		t.Errorf("queue %+v after deleting every task, want it empty", q)
	}
}

// TestInspectorRetryNow: a task waiting an hour for its retry is listed
// as retrying, with its attempt and error, and RetryNow runs it at once.
func TestInspectorRetryNow(t *testing.T) {
	t.Parallel()
	var logs testenv.Logs
	b := setupQueue(t, func(c *runtime.Config) {
		c.Backoff = func(int) time.Duration { return time.Hour }
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	var runs atomic.Int32
	flaky := runtime.NewTask(runtime.TaskSpec{Name: "test.flaky"}, func(context.Context, echoArgs) error {
		if runs.Add(1) == 1 {
			return errors.New("first run fails")
		}
		return nil
	})
	b.reg.Register(flaky)
	ctx := context.Background()
	in := b.app.Inspector()
	b.run(t)
	id := enqueueFor(t, b.app, flaky, echoArgs{}, []string{"acme"})[0]
	var page runtime.TaskPage
	testenv.WaitFor(t, "the task to wait for its retry", func() bool {
		var err error
		page, err = in.Tasks(ctx, runtime.TaskQuery{Queue: "default", State: runtime.StateRetrying, Tenant: "acme"})
		return err == nil && len(page.Tasks) == 1
	})
	if got := page.Tasks[0]; got.ID != id || got.Attempts != 1 || got.Error != "first run fails" || time.Until(got.Due) < 50*time.Minute {
		t.Errorf("retrying task = %+v, want attempt 1 due in an hour", got)
	}
	qs, _ := in.Queues(ctx)
	if qs[0].Retrying != 1 || qs[0].Scheduled != 0 {
		t.Errorf("queue %+v, want 1 retrying task and no scheduled one", qs[0])
	}
	if err := in.RetryNow(ctx, "default", id); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "the retry to run", func() bool { return runs.Load() == 2 })
	// Its acknowledgement may follow the task's return by a moment.
	testenv.WaitFor(t, "the retry to be acknowledged", func() bool {
		qs, err := in.Queues(ctx)
		return err == nil && qs[0].Running == 0
	})
	if line := `msg="inspector: task made ready now" queue=default task_id=` + string(id); !strings.Contains(logs.String(), line) {
		t.Errorf("logs do not record the action (%s):\n%s", line, logs.String())
	}
	if err := in.RetryNow(ctx, "default", id); !errors.Is(err, runtime.ErrTaskNotFound) {
		t.Errorf("RetryNow of a finished task = %v, want ErrTaskNotFound", err)
	}
}

// TestInspectorSchedulerTables: Scheduler describes the rows of the
// periodic tasks tables with the schema they come from, and reports the
// problems of the rows a tick would skip, such as a duplicate name.
func TestInspectorSchedulerTables(t *testing.T) {
	t.Parallel()
	tb := setupTenancy(t, []string{"acme", "globex"}, func(c *runtime.Config) {
		c.Schedule = runtime.SchedulerConfig{Tables: true}
	})
	registerNoop(t, tb.reg, runtime.TaskSpec{Name: "report"})
	ctx := context.Background()
	acme, globex := tb.schemas["acme"], tb.schemas["globex"]
	for _, schema := range []string{acme, globex} {
		if err := tb.app.CreatePeriodicTasksTable(ctx, schema); err != nil {
			t.Fatal(err)
		}
	}
	tb.exec(t, "insert into %q.tenantgen_periodic_tasks (name, task, cron) values ('report', 'report', '0 6 * * *'), ('dup@x', 'report', '@daily')", acme)
	tb.exec(t, "insert into %q.tenantgen_periodic_tasks (name, task, every_seconds) values ('dup@x', 'report', 60)", globex)

	info, err := tb.app.Inspector().Scheduler(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range info.Entries {
		got = append(got, e.ID+" "+e.Timing+" "+e.Targets+" "+e.Source)
		if e.NextRun.IsZero() {
			t.Errorf("entry %s has no next run", e.ID)
		}
	}
	want := []string{"dup@x @daily acme table " + acme, "report@" + acme + " 0 6 * * * acme table " + acme}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	wantProblem := fmt.Sprintf(`duplicate periodic task name "dup@x" in schema %q, first seen in schema %q`, globex, acme)
	if len(info.Problems) != 1 || !strings.Contains(info.Problems[0], wantProblem) {
		t.Errorf("problems %q, want one containing %q", info.Problems, wantProblem)
	}
}
