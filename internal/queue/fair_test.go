package queue

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
)

// TestFairOrder: with one handler, so that starts are in fetch order,
// tenants take turns whatever their backlogs, public tasks count as one more
// tenant, and a tenant's weight is how many tasks it gets per turn.
func TestFairOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		backlog map[string]int // tenant ("" public) to tasks, enqueued in name order...
		order   []string       // ...of tenants
		weights map[string]int
		want    string // the tenants of the first starts, joined
	}{
		{
			name:    "one task each behind a backlog",
			backlog: map[string]int{"noisy": 30, "q1": 1, "q2": 1, "q3": 1, "": 1},
			order:   []string{"noisy", "q1", "q2", "q3", ""},
			want:    "noisy q1 q2 q3 - noisy noisy noisy",
		},
		{
			name:    "equal backlogs",
			backlog: map[string]int{"a": 3, "b": 3, "c": 3},
			order:   []string{"a", "b", "c"},
			want:    "a b c a b c a b c",
		},
		{
			name:    "weights",
			backlog: map[string]int{"gold": 12, "free": 12, "silver": 12},
			order:   []string{"gold", "free", "silver"},
			weights: map[string]int{"gold": 3, "silver": 2},
			want:    "gold gold gold free silver silver gold gold gold free silver silver",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rdb := testenv.Redis(t)
			cfg := testConfig(t, rdb)
			cfg.Concurrency = 1
			c := NewClient(rdb, cfg)
			for tenant, w := range tc.weights {
				if err := c.SetTenantLimits(t.Context(), "default", tenant, Limits{Weight: w}, false); err != nil {
					t.Fatal(err)
				}
			}
			total := 0
			for _, tenant := range tc.order {
				var envs []*Envelope
				for range tc.backlog[tenant] {
					envs = append(envs, env("t.fair", tenant, "default", "{}"))
				}
				enqueue(t, c, envs...)
				total += len(envs)
			}
			rec := newRecorder()
			w := NewWorker(c, funcRunner(func(_ context.Context, e *Envelope) error { rec.record(e); return nil }))
			// The exact order of starts is the ring's only with one task
			// fetched at a time: under load, a task fetched ahead may be
			// handed back and lose its lane's turn.
			w.ahead.off = true
			runWorker(t, w)
			testenv.WaitFor(t, "every task to run", func() bool { return rec.count() == total })
			want := strings.Fields(tc.want)
			if diff := cmp.Diff(want, rec.order()[:len(want)]); diff != "" {
				t.Errorf("first starts by tenant (-want +got):\n%s", diff)
			}
			assertIdle(t, rdb, queueKeys(cfg.Prefix, "default", 0))
		})
	}
}

// assertIdle fails the test unless partition k holds no ready task and no
// lane: idle tenants cost no memory.
func assertIdle(t *testing.T, rdb redis.UniversalClient, k keys) {
	t.Helper()
	testenv.WaitFor(t, "the queue to be idle", func() bool {
		n, err := rdb.Exists(t.Context(), k.ring, k.held, k.base+"full", k.base+"wait", k.base+"run", k.base+"cr").Result()
		return err == nil && n == 0 && len(laneKeys(t, rdb, k)) == 0
	})
}

// TestFairOldLayoutDrains: a queue written by the previous layout (ready
// tasks as stream entries, delayed tasks as bare envelopes, an entry
// pending under a dead worker) drains under this one.
func TestFairOldLayoutDrains(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	cfg := testConfig(t, rdb)
	c := NewClient(rdb, cfg)
	k := queueKeys(cfg.Prefix, "default", 0)
	ctx := t.Context()
	if err := rdb.XGroupCreateMkStream(ctx, k.stream, group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	add := func(tenant string) string {
		e := env("t.old", tenant, "default", "{}")
		data, err := e.encode()
		if err != nil {
			t.Fatal(err)
		}
		want[e.ID] = true
		return data
	}
	for i := range 5 {
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: k.stream, Values: []string{fieldEnvelope, add(fmt.Sprint("t", i))}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// One read by a worker that then died (no liveness key): pending.
	if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "dead-1-abcdef", Streams: []string{k.stream, ">"}, Count: 1, Block: -1}).Err(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := rdb.ZAdd(ctx, k.delayed, redis.Z{Score: float64(time.Now().UnixMilli()), Member: add(fmt.Sprint("d", i%2))}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	rec := newRecorder()
	startWorker(t, c, funcRunner(func(_ context.Context, e *Envelope) error { rec.record(e); return nil }))
	testenv.WaitFor(t, "every old task to run", func() bool { return rec.count() == len(want) })
	rec.mu.Lock()
	for id := range want {
		if rec.ids[id] != 1 {
			t.Errorf("task %s ran %d times, want 1", id, rec.ids[id])
		}
	}
	rec.mu.Unlock()
	testenv.WaitFor(t, "the stream to empty", func() bool {
		n, err := rdb.XLen(ctx, k.stream).Result()
		return err == nil && n == 0
	})
	assertIdle(t, rdb, k)
}

// TestFairRedisLostItsData: Redis comes back empty under a live worker
// (FLUSHALL stands for a failover to an empty replica): the fetch recreates
// the stream and its group, the worker says so once, and new tasks run.
func TestFairRedisLostItsData(t *testing.T) {
	t.Parallel()
	rdb := testenv.PrivateRedis(t)
	cfg := testConfig(t, rdb)
	logs := &logCounter{}
	cfg.Logger = logs.logger()
	c := NewClient(rdb, cfg)
	var ran atomic.Int32
	startWorker(t, c, funcRunner(func(context.Context, *Envelope) error { ran.Add(1); return nil }))
	enqueue(t, c, env("t.lost", "acme", "default", "{}"))
	testenv.WaitFor(t, "the first task", func() bool { return ran.Load() == 1 })
	if n := logs.count("recreated"); n != 0 {
		t.Errorf("the worker logged %d recreations at first start, want none", n)
	}
	if err := rdb.FlushAll(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "the fetch to recreate the stream", func() bool { return logs.count("recreated") > 0 })
	enqueue(t, c, env("t.lost", "acme", "default", "{}"), env("t.lost", "", "default", "{}"))
	testenv.WaitFor(t, "the tasks enqueued after the loss", func() bool { return ran.Load() == 3 })
	if n := logs.count("recreated"); n != 1 {
		t.Errorf("the worker logged %d recreations, want 1", n)
	}
}

// TestFairFetchCommandsPerTask: the fetch never scans its lanes: the Redis
// commands run per task (INFO commandstats, scripts' commands included) do
// not grow from 10 to 1,000 lanes with ready tasks.
func TestFairFetchCommandsPerTask(t *testing.T) {
	t.Parallel()
	rdb := testenv.PrivateRedis(t)
	perTask := func(lanes int) float64 {
		cfg := testConfig(t, rdb)
		c := NewClient(rdb, cfg)
		const tasks = 2000
		var envs []*Envelope
		for i := range tasks {
			envs = append(envs, env("t.n", fmt.Sprint("t", i%lanes), "default", "{}"))
		}
		enqueue(t, c, envs...)
		before := commandCalls(t, rdb)
		var ran atomic.Int32
		stop := startWorker(t, c, funcRunner(func(context.Context, *Envelope) error { ran.Add(1); return nil }))
		testenv.WaitFor(t, "every task", func() bool { return ran.Load() == tasks })
		stop()
		return float64(commandCalls(t, rdb)-before) / tasks
	}
	few, many := perTask(10), perTask(1000)
	t.Logf("Redis commands per task: %.1f with 10 lanes, %.1f with 1,000", few, many)
	if many > few*1.5+2 {
		t.Errorf("Redis commands per task grow with the number of lanes: %.1f with 10, %.1f with 1,000", few, many)
	}
}

// commandCalls returns how many commands rdb has run, scripts' included.
func commandCalls(t *testing.T, rdb *redis.Client) int64 {
	t.Helper()
	info, err := rdb.Info(t.Context(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, line := range strings.Split(info, "\n") {
		_, rest, ok := strings.Cut(line, ":calls=")
		if !ok || strings.HasPrefix(line, "cmdstat_eval") || strings.HasPrefix(line, "cmdstat_info") {
			continue
		}
		var calls int64
		fmt.Sscanf(rest, "%d", &calls)
		n += calls
	}
	return n
}

// logCounter is a slog.Handler that keeps the messages of the records it
// handles.
type logCounter struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logCounter) logger() *slog.Logger { return slog.New(l) }

func (l *logCounter) Enabled(context.Context, slog.Level) bool { return true }

func (l *logCounter) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	return nil
}

func (l *logCounter) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCounter) WithGroup(string) slog.Handler      { return l }

// count returns how many messages contain word.
func (l *logCounter) count(word string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if strings.Contains(m, word) {
			n++
		}
	}
	return n
}
