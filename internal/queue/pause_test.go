package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
)

// TestPauseFetch: a fetch takes nothing from a paused queue, nor from the
// lanes of a paused tenant, and takes them again once resumed, with a wake
// token for idle workers.
func TestPauseFetch(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	cfg := testConfig(t, rdb)
	c := NewClient(rdb, cfg)
	ctx := t.Context()
	w := NewWorker(c, nil)
	p := w.parts[0]
	if err := rdb.XGroupCreateMkStream(ctx, p.k.stream, group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	fetch := func() []string {
		t.Helper()
		list, err := w.fetchNow(ctx, nil, w.parts, 10)
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatal(err)
		}
		var tenants []string
		for _, d := range list {
			e, err := decodeEnvelope(d.data)
			if err != nil {
				t.Fatal(err)
			}
			tenants = append(tenants, e.Tenant)
		}
		return tenants
	}
	expect := func(step string, want []string) {
		t.Helper()
		if diff := cmp.Diff(want, fetch()); diff != "" {
			t.Errorf("%s: fetched tenants (-want +got):\n%s", step, diff)
		}
	}
	wakeToken := func() bool {
		n, err := rdb.LLen(ctx, p.k.wake).Result()
		return err == nil && n == 1
	}

	if err := c.PauseQueue(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	enqueue(t, c, env("t.p", "a", "default", "{}"), env("t.p", "b", "default", "{}"))
	expect("queue paused", nil)
	rdb.Del(ctx, p.k.wake)
	if err := c.ResumeQueue(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	if !wakeToken() {
		t.Error("no wake token after ResumeQueue")
	}
	expect("queue resumed", []string{"a", "b"})

	if err := c.PauseTenant(ctx, "default", "b"); err != nil {
		t.Fatal(err)
	}
	enqueue(t, c, env("t.p", "b", "default", "{}"), env("t.p", "a", "default", "{}"), env("t.p", "b", "default", "{}"))
	expect("tenant b paused", []string{"a"})
	if held, err := rdb.SMembers(ctx, p.k.held).Result(); err != nil || !cmp.Equal(held, []string{"b"}) {
		t.Errorf("held lanes = %v, %v; want [b]", held, err)
	}
	paused, tenants, err := c.Paused(ctx, "default")
	if err != nil || paused || !cmp.Equal(tenants, []string{"b"}) {
		t.Errorf("Paused = %v, %v, %v; want false, [b]", paused, tenants, err)
	}
	rdb.Del(ctx, p.k.wake)
	if err := c.ResumeTenant(ctx, "default", "b"); err != nil {
		t.Fatal(err)
	}
	if !wakeToken() {
		t.Error("no wake token after ResumeTenant")
	}
	expect("tenant b resumed", []string{"b", "b"})
	assertIdle(t, rdb, p.k)
}

// TestPauseTenantConcurrent: two workers run while tasks are enqueued
// concurrently for three tenants, one of them paused: none of its tasks
// starts while it is paused, every other task runs, and after the resume
// every task has run exactly once.
func TestPauseTenantConcurrent(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	cfg := testConfig(t, rdb)
	c := NewClient(rdb, cfg)
	ctx := t.Context()
	if err := c.PauseTenant(ctx, "default", "b"); err != nil {
		t.Fatal(err)
	}
	var paused atomic.Bool
	paused.Store(true)
	var mu sync.Mutex
	runs := map[string]int{}
	var early atomic.Int32
	run := funcRunner(func(_ context.Context, e *Envelope) error {
		if e.Tenant == "b" && paused.Load() {
			early.Add(1)
		}
		mu.Lock()
		runs[e.ID]++
		mu.Unlock()
		return nil
	})
	startWorker(t, NewClient(rdb, cfg), run)
	startWorker(t, NewClient(rdb, cfg), run)

	const perTenant = 150
	var wg sync.WaitGroup
	ids := make(chan string, 3*perTenant)
	for _, tenant := range []string{"a", "b", "c"} {
		wg.Go(func() {
			for i := 0; i < perTenant; i += 10 {
				var envs []*Envelope
				for range 10 {
					e := env("t.p", tenant, "default", fmt.Sprint(`{"n":`, i, `}`))
					envs = append(envs, e)
					ids <- e.ID
				}
				enqueue(t, c, envs...)
			}
		})
	}
	wg.Wait()
	close(ids)
	ran := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(runs)
	}
	testenv.WaitFor(t, "the tasks of the tenants not paused", func() bool { return ran() == 2*perTenant })
	if st, err := c.Stats(ctx, "default"); err != nil || st.Ready != perTenant {
		t.Errorf("Stats = %+v, %v; want the paused tenant's %d tasks ready", st, err, perTenant)
	}
	paused.Store(false)
	if err := c.ResumeTenant(ctx, "default", "b"); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "every task", func() bool { return ran() == 3*perTenant })
	if n := early.Load(); n > 0 {
		t.Errorf("%d tasks of the paused tenant started while it was paused", n)
	}
	mu.Lock()
	for id := range ids {
		if runs[id] != 1 {
			t.Errorf("task %s ran %d times, want 1", id, runs[id])
		}
	}
	mu.Unlock()
	assertIdle(t, rdb, queueKeys(cfg.Prefix, "default", 0))
}
