package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// TestQueueWorkerKilledWithCaps kills a worker process with SIGKILL in the
// middle of a batch of a capped task (3 running per tenant) spread over
// three tenants: another worker takes over, every task completes exactly
// once without a failed attempt, and no running count is left behind (a
// leaked count would hold its lane at the cap forever).
func TestQueueWorkerKilledWithCaps(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) { c.Concurrency = 8 })
	rdb := testenv.Redis(t)
	ctx := context.Background()
	local := cappedKillTask(rdb, b.prefix, false)
	var reqs []runtime.Request
	for i := range 20 {
		for _, tenant := range []string{"acme", "globex", "initech"} {
			req, err := local.NewRequest(runtime.WithTenant(ctx, tenant), echoArgs{N: i})
			if err != nil {
				t.Fatal(err)
			}
			reqs = append(reqs, req)
		}
	}
	p := startSubprocess(t, "killable-capped", b.prefix)
	// The subprocess registers the task's cap when it starts: enqueue
	// after, so that the tasks go to their capped lanes.
	testenv.WaitFor(t, "the subprocess to record the task's limits", func() bool {
		n, err := rdb.HExists(ctx, b.prefix+":{default}:lim", ":test.killcapped").Result()
		return err == nil && n
	})
	ids, err := b.app.EnqueueMany(ctx, reqs)
	if err != nil {
		t.Fatal(err)
	}
	// Odd tasks block: with 8 slots and 3 per tenant, 8 end up blocked.
	var inFlight []string
	testenv.WaitFor(t, "8 blocked tasks in the subprocess, nothing else pending", func() bool {
		pipe := rdb.Pipeline()
		blocked := pipe.SMembers(ctx, b.prefix+":blocked")
		started := pipe.SCard(ctx, b.prefix+":started")
		done := pipe.HLen(ctx, b.prefix+":done")
		if _, err := pipe.Exec(ctx); err != nil {
			return false
		}
		inFlight = blocked.Val()
		return len(inFlight) == 8 && started.Val() == done.Val()+8 && b.stats(t, "default").Running == 8
	})
	running, err := rdb.HGetAll(ctx, b.prefix+":{default}:run").Result()
	if err != nil {
		t.Fatal(err)
	}
	delete(running, "") // the field that keeps the hash a hash table (docs/queue.md)
	total := 0
	for lane, n := range running {
		if atoi(t, n) > 3 {
			t.Errorf("lane %s counts %s running tasks, over its cap of 3", lane, n)
		}
		total += int(atoi(t, n))
	}
	if total != 8 {
		t.Errorf("running counts %v add up to %d, want the 8 blocked tasks", running, total)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t, testenv.Timeout); err == nil {
		t.Fatal("the subprocess exited cleanly; it should have been killed")
	}

	b.reg.Register(local)
	b.run(t)
	testenv.WaitFor(t, fmt.Sprintf("%d tasks done", len(reqs)), func() bool {
		got, err := rdb.HLen(ctx, b.prefix+":done").Result()
		return err == nil && got == int64(len(reqs))
	})
	testenv.WaitFor(t, "queue empty", func() bool { return b.stats(t, "default") == runtime.QueueStats{} })
	done, _ := rdb.HGetAll(ctx, b.prefix+":done").Result()
	for _, id := range ids {
		if done[string(id)] != "1" {
			t.Errorf("task %s completed %q times, want exactly 1", id, done[string(id)])
		}
	}
	attempts, _ := rdb.HGetAll(ctx, b.prefix+":attempt").Result()
	for _, id := range inFlight {
		if attempts[id] != "1" {
			t.Errorf("task %s, interrupted by the kill, ran again as attempt %s; want attempt 1", id, attempts[id])
		}
	}
	testenv.WaitFor(t, "no running count left", func() bool {
		n, err := rdb.Exists(ctx, b.prefix+":{default}:run", b.prefix+":{default}:full", b.prefix+":{default}:r").Result()
		return err == nil && n == 0
	})
}

// TestEnqueueOverMaxPayload: a task over Config.MaxPayload is refused with
// an error naming the task, its size and the limit, saying what to do, and
// wrapping ErrPayloadTooLarge.
func TestEnqueueOverMaxPayload(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) { c.MaxPayload = 4096 })
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.big", Public: true}, func(context.Context, string) error { return nil })
	_, err := task.Enqueue(context.Background(), b.app, strings.Repeat("x", 5000))
	if !errors.Is(err, runtime.ErrPayloadTooLarge) {
		t.Fatalf("Enqueue of a 5 kB task = %v, want ErrPayloadTooLarge", err)
	}
	wantError(t, err, `task "test.big"`, "bytes encoded", "Config.MaxPayload (4096 bytes)", "store big data in the database")
	if st := b.stats(t, "default"); st != (runtime.QueueStats{}) {
		t.Errorf("Stats = %+v after a refused enqueue, want nothing queued", st)
	}
}

// TestTenantLimitsAPI: SetTenantLimits, TenantLimits and ClearTenantLimits
// round-trip, and refuse invalid names and limits.
func TestTenantLimitsAPI(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil)
	ctx := context.Background()
	want := runtime.Limits{Weight: 3, Concurrency: 2, Rate: runtime.Rate{Starts: 10, Per: time.Second}}
	if err := b.app.SetTenantLimits(ctx, "default", "acme", want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := b.app.TenantLimits(ctx, "default", "acme")
	if err != nil || !ok || got != want {
		t.Errorf("TenantLimits = %+v, %v, %v; want %+v, true", got, ok, err, want)
	}
	if err := b.app.ClearTenantLimits(ctx, "default", "acme"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := b.app.TenantLimits(ctx, "default", "acme"); err != nil || ok {
		t.Errorf("TenantLimits after Clear = %v, %v; want none", ok, err)
	}
	for _, tc := range []struct {
		queue, tenant string
		l             runtime.Limits
		want          string
	}{
		{"Bad", "acme", runtime.Limits{}, "invalid queue"},
		{"default", "-x", runtime.Limits{}, "invalid tenant"},
		{"default", "acme", runtime.Limits{Weight: -1}, "weight -1"},
		{"default", "acme", runtime.Limits{Rate: runtime.Rate{Starts: 1, Per: time.Microsecond}}, "at least 1ms"},
	} {
		if err := b.app.SetTenantLimits(ctx, tc.queue, tc.tenant, tc.l); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SetTenantLimits(%q, %q, %+v) = %v, want an error containing %q", tc.queue, tc.tenant, tc.l, err, tc.want)
		}
	}
}
