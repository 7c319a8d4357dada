package runtime_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// TestQueueHandBackKeepsInterrupts: a task handed back at shutdown keeps
// the count of workers that died running its attempt (stream field i), so
// that a task which kills workers cannot reset it by being interrupted.
func TestQueueHandBackKeepsInterrupts(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) {
		// The task returns as soon as the grace ends; the grace is also how
		// long Run waits for that, so it must absorb a loaded machine.
		c.ShutdownGrace = 500 * time.Millisecond
		c.Concurrency = 1 // the fetcher waits for the slot, and stops at once
	})
	rdb := testenv.Redis(t)
	ctx := context.Background()
	started := make(chan struct{}, 1)
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.blocks", Public: true}, func(ctx context.Context, _ runtime.NoArgs) error {
		started <- struct{}{}
		<-ctx.Done() // until shutdown cancels it
		return ctx.Err()
	})
	b.reg.Register(task)
	if _, err := task.Enqueue(ctx, b.app, runtime.NoArgs{}); err != nil {
		t.Fatal(err)
	}
	// Two workers died running this attempt already: rewrite the task as
	// the reclaimer leaves it, its interrupt count before its envelope.
	lane := b.prefix + ":{default}:l:-"
	elems, err := rdb.LRange(ctx, lane, 0, -1).Result()
	if err != nil || len(elems) != 1 {
		t.Fatalf("LRANGE = %v, %v; want the one task", elems, err)
	}
	env := elems[0]
	if err := rdb.LSet(ctx, lane, 0, "2"+env).Err(); err != nil {
		t.Fatal(err)
	}

	r := startRun(t, b.app)
	<-started
	if _, err := r.stop(t); err != nil {
		t.Fatalf("Run = %v, want nil: the task returned once cancelled", err)
	}
	got, err := rdb.LRange(ctx, lane, 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"2" + env}, got); diff != "" {
		t.Errorf("lane after the hand-back (-want +got):\n%s", diff)
	}
	if n, err := rdb.XLen(ctx, b.prefix+":{default}:s").Result(); err != nil || n != 0 {
		t.Errorf("stream holds %d entries (%v) after the hand-back, want none", n, err)
	}
}

// TestQueueReclaimDeadLettersEntriesWithoutEnvelope: an entry without an
// envelope (no field e) held by a dead worker goes to the dead letter set
// with the reason, instead of vanishing.
func TestQueueReclaimDeadLettersEntriesWithoutEnvelope(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil)
	rdb := testenv.Redis(t)
	ctx := context.Background()
	stream := b.prefix + ":{default}:s"
	if err := rdb.XGroupCreateMkStream(ctx, stream, "w", "0").Err(); err != nil {
		t.Fatal(err)
	}
	entry, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []string{"x", "y"}}).Result()
	if err != nil {
		t.Fatal(err)
	}
	// A worker that is gone (it has no liveness key) read the entry.
	err = rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "w", Consumer: "ghost-1-abcdef", Streams: []string{stream, ">"}, Count: 1, Block: -1}).Err()
	if err != nil {
		t.Fatal(err)
	}

	b.run(t)
	testenv.WaitFor(t, "the ghost's entry reclaimed", func() bool { return b.stats(t, "default").Running == 0 })
	if got, want := b.stats(t, "default"), (runtime.QueueStats{Dead: 1}); got != want {
		t.Fatalf("stats after the reclaim = %+v, want %+v", got, want)
	}
	dead, err := b.app.DeadTasks(ctx, "default", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].ID != runtime.TaskID(entry) {
		t.Fatalf("DeadTasks = %+v, want the entry %s", dead, entry)
	}
	for _, w := range []string{"undecodable", `without field "e"`, `["x","y"]`, "dead worker"} {
		if !strings.Contains(dead[0].Error, w) {
			t.Errorf("dead entry's error %q does not contain %q", dead[0].Error, w)
		}
	}
}

// failAcks makes every pipeline that acknowledges tasks fail as if the
// client were closed, so that the worker gives up acknowledging.
type failAcks struct{ failed *atomic.Int32 }

func (failAcks) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (failAcks) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h failAcks) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			if c.Name() == "xack" {
				h.failed.Add(1)
				for _, c := range cmds {
					c.SetErr(redis.ErrClosed)
				}
				return redis.ErrClosed
			}
		}
		return next(ctx, cmds)
	}
}

// TestQueueStopKeepsConsumerWithPendingTasks: when a worker stops with
// tasks it could not acknowledge, it keeps its consumer, so that the tasks
// stay pending and another worker reclaims and runs them again; deleting
// the consumer would lose them for good.
func TestQueueStopKeepsConsumerWithPendingTasks(t *testing.T) {
	t.Parallel()
	var failed atomic.Int32
	b := setupQueue(t, func(c *runtime.Config) {
		rdb := testenv.Redis(t)
		rdb.AddHook(failAcks{&failed})
		c.Redis = rdb
	})
	var runs atomic.Int32
	ran := make(chan struct{}, 10)
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.once", Public: true}, func(context.Context, runtime.NoArgs) error {
		runs.Add(1)
		ran <- struct{}{}
		return nil
	})
	b.reg.Register(task)
	if _, err := task.Enqueue(context.Background(), b.app, runtime.NoArgs{}); err != nil {
		t.Fatal(err)
	}
	r := startRun(t, b.app)
	<-ran
	if _, err := r.stop(t); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if failed.Load() == 0 {
		t.Fatal("the task's acknowledgement was never attempted")
	}
	if got, want := b.stats(t, "default"), (runtime.QueueStats{Running: 1}); got != want {
		t.Fatalf("stats after the stop = %+v, want %+v: the unacknowledged task still pending", got, want)
	}

	// Another worker, whose acknowledgements work, runs it again.
	other := b.openApp(t, func(c *runtime.Config) { c.Redis = testenv.Redis(t) })
	startRun(t, other)
	select {
	case <-ran:
	case <-time.After(testenv.Timeout):
		t.Fatal("the unacknowledged task never ran again")
	}
	testenv.WaitFor(t, "the queue empty", func() bool { return b.stats(t, "default") == runtime.QueueStats{} })
	if got := runs.Load(); got != 2 {
		t.Errorf("the task ran %d times, want 2", got)
	}
}
