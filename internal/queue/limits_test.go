package queue

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
)

// TestLimitsCapAcrossWorkers: a concurrency cap holds across two workers
// with Redis clients of their own, for a task's own lanes and for tenant
// lanes under the queue's defaults, and no count is left behind.
func TestLimitsCapAcrossWorkers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		task     string
		taskCap  int     // TenantConcurrency of task, recorded with SetTaskLimits
		defaults *Limits // Config.TenantLimits of the queue
		cap      int     // what must hold per tenant
		lane     func(string) string
	}{
		{name: "task cap", task: "t.capped", taskCap: 2, cap: 2, lane: func(tn string) string { return tn + ":t.capped" }},
		{name: "tenant default", task: "t.plain", defaults: &Limits{Concurrency: 3}, cap: 3, lane: func(tn string) string { return tn }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rdb := testenv.Redis(t)
			cfg := testConfig(t, rdb)
			cfg.Concurrency = 8
			if tc.defaults != nil {
				cfg.TenantLimits = map[string]Limits{"default": *tc.defaults}
			}
			c := NewClient(rdb, cfg)
			ctx := t.Context()
			if tc.taskCap > 0 {
				if err := c.SetTaskLimits(ctx, []string{"default"}, map[string]Limits{tc.task: {Concurrency: tc.taskCap}}, nil); err != nil {
					t.Fatal(err)
				}
			}
			var mu sync.Mutex
			running, peak := map[string]int{}, map[string]int{}
			var done atomic.Int32
			run := funcRunner(func(ctx context.Context, e *Envelope) error {
				mu.Lock()
				running[e.Tenant]++
				peak[e.Tenant] = max(peak[e.Tenant], running[e.Tenant])
				mu.Unlock()
				time.Sleep(2 * time.Millisecond) // the work: long enough for the tasks to overlap
				mu.Lock()
				running[e.Tenant]--
				mu.Unlock()
				done.Add(1)
				return nil
			})
			for range 2 {
				opts, err := redis.ParseURL(testenv.RedisURL(t))
				if err != nil {
					t.Fatal(err)
				}
				other := redis.NewClient(opts)
				t.Cleanup(func() { other.Close() })
				startWorker(t, NewClient(other, cfg), run)
			}
			const perTenant = 40
			var envs []*Envelope
			for range perTenant {
				envs = append(envs, env(tc.task, "a", "default", "{}"), env(tc.task, "b", "default", "{}"))
			}
			enqueue(t, c, envs...)
			testenv.WaitFor(t, "every task", func() bool { return done.Load() == 2*perTenant })
			mu.Lock()
			for _, tn := range []string{"a", "b"} {
				if peak[tn] > tc.cap {
					t.Errorf("tenant %s had %d tasks running at once, over its cap of %d", tn, peak[tn], tc.cap)
				}
				if peak[tn] < 2 {
					t.Logf("tenant %s never had 2 tasks running at once: the cap was not exercised", tn)
				}
			}
			mu.Unlock()
			k := queueKeys(cfg.Prefix, "default", 0)
			assertIdle(t, rdb, k)
			if lanes := laneKeys(t, rdb, k); len(lanes) > 0 {
				t.Errorf("lanes left: %v", lanes)
			}
		})
	}
}

// TestLimitsRate: a rated lane starts its tasks one per Per/Starts, so no
// window of Per holds more than Starts, and the fetch tells the worker when
// the lane may start again instead of leaving it to poll.
func TestLimitsRate(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	cfg := testConfig(t, rdb)
	c := NewClient(rdb, cfg)
	ctx := t.Context()
	const starts, per = 5, 200 * time.Millisecond
	if err := c.SetTenantLimits(ctx, "default", "acme", Limits{Starts: starts, Per: per}, false); err != nil {
		t.Fatal(err)
	}
	// A lane rated once per minute: one fetch takes one task, says when
	// the next may start, and the next fetch takes nothing.
	const slow = time.Minute
	if err := c.SetTenantLimits(ctx, "default", "slow", Limits{Starts: 1, Per: slow}, false); err != nil {
		t.Fatal(err)
	}
	w := NewWorker(c, nil)
	if err := rdb.XGroupCreateMkStream(ctx, w.parts[0].k.stream, group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	enqueue(t, c, env("t.r", "slow", "default", "{}"), env("t.r", "slow", "default", "{}"))
	list, err := w.fetchNow(ctx, nil, w.parts, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("first fetch of a rated lane = %d tasks, %v; want 1", len(list), err)
	}
	if w.waitFor <= slow/2 || w.waitFor > slow {
		t.Errorf("the fetch says the rated lane may start in %v, want about %v", w.waitFor, slow)
	}
	if _, err := w.fetchNow(ctx, list, w.parts, 10); !errors.Is(err, redis.Nil) {
		t.Errorf("a second fetch = %v, want nothing (redis.Nil): the lane waits for its rate", err)
	}
	if n, err := rdb.ZCard(ctx, w.parts[0].k.base+"wait").Result(); err != nil || n != 1 {
		t.Errorf("lanes waiting for their rate: %d, %v; want 1", n, err)
	}
	rdb.Del(ctx, w.parts[0].k.lane("slow"), w.parts[0].k.base+"wait") // done with it

	var mu sync.Mutex
	var at []time.Time
	startWorker(t, c, funcRunner(func(context.Context, *Envelope) error {
		mu.Lock()
		at = append(at, time.Now())
		mu.Unlock()
		return nil
	}))
	const n = 16
	var envs []*Envelope
	for range n {
		envs = append(envs, env("t.r", "acme", "default", "{}"))
	}
	enqueue(t, c, envs...)
	testenv.WaitFor(t, "every rated task", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(at) == n
	})
	mu.Lock()
	defer mu.Unlock()
	slices.SortFunc(at, func(x, y time.Time) int { return x.Compare(y) })
	// Redis spaces the fetches exactly; a start can lag its fetch, which
	// only this slack absorbs.
	const slack = 60 * time.Millisecond
	for i := 0; i+starts < len(at); i++ {
		if d := at[i+starts].Sub(at[i]); d < per-slack {
			t.Errorf("starts %d to %d came within %v: %d starts in less than a window of %v", i, i+starts, d, starts+1, per)
		}
	}
}

// TestLimitsCappedTenantDoesNotDelayOthers: a tenant at its cap, with a
// backlog, is skipped: another tenant's tasks, enqueued behind it, all run
// while the capped tenant's one running task holds its cap, and none of
// them spends a retry.
func TestLimitsCappedTenantDoesNotDelayOthers(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	cfg := testConfig(t, rdb)
	c := NewClient(rdb, cfg)
	ctx := t.Context()
	if err := c.SetTenantLimits(ctx, "default", "capped", Limits{Concurrency: 1}, false); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var cappedStarts, others, running, peak atomic.Int32
	startWorker(t, c, funcRunner(func(ctx context.Context, e *Envelope) error {
		if e.Attempt > 0 {
			t.Errorf("task %s of %s runs attempt %d: a skipped lane must spend no retry", e.ID, e.Tenant, e.Attempt+1)
		}
		if e.Tenant != "capped" {
			others.Add(1)
			return nil
		}
		cappedStarts.Add(1)
		r := running.Add(1)
		for p := peak.Load(); r > p && !peak.CompareAndSwap(p, r); p = peak.Load() {
		}
		defer running.Add(-1)
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}))
	var envs []*Envelope
	for range 10 {
		envs = append(envs, env("t.c", "capped", "default", "{}"))
	}
	enqueue(t, c, envs...)
	testenv.WaitFor(t, "the capped tenant's first task", func() bool { return cappedStarts.Load() == 1 })
	envs = nil
	for range 30 {
		envs = append(envs, env("t.c", "free", "default", "{}"))
	}
	enqueue(t, c, envs...)
	testenv.WaitFor(t, "the other tenant's tasks", func() bool { return others.Load() == 30 })
	if n := cappedStarts.Load(); n != 1 {
		t.Errorf("the capped tenant started %d tasks, want 1", n)
	}
	close(release)
	testenv.WaitFor(t, "the capped tenant's tasks", func() bool { return cappedStarts.Load() == 10 })
	if p := peak.Load(); p != 1 {
		t.Errorf("the capped tenant had %d tasks running at once, want 1", p)
	}
	assertIdle(t, rdb, queueKeys(cfg.Prefix, "default", 0))
}
