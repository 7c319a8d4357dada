package runtime_test

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// TestQueueWorkerKilled kills a worker process with SIGKILL in the middle of
// a batch: another worker must take over its running tasks once its
// liveness key expires, without counting a failed attempt, and every task
// must complete exactly once.
func TestQueueWorkerKilled(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) { c.Concurrency = 8 })
	rdb := testenv.Redis(t)
	ctx := context.Background()
	const n = 50
	reqs := make([]runtime.Request, n)
	local := killTask(rdb, b.prefix, false)
	for i := range reqs {
		var err error
		if reqs[i], err = local.NewRequest(runtime.WithTenant(ctx, "acme"), echoArgs{N: i}); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := b.app.EnqueueMany(ctx, reqs)
	if err != nil {
		t.Fatal(err)
	}

	p := startSubprocess(t, "killable", b.prefix)
	// The subprocess completes even tasks and blocks in odd ones, so it ends
	// up with all 8 slots taken by blocked tasks. Wait for that, and for the
	// completions to be acknowledged, so that no completed task is still
	// pending when the process dies (that window is documented).
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
	doneBefore, _ := rdb.HLen(ctx, b.prefix+":done").Result()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	if err := p.wait(t, testenv.Timeout); err == nil {
		t.Fatal("the subprocess exited cleanly; it should have been killed")
	}

	b.reg.Register(local)
	b.run(t)
	testenv.WaitFor(t, fmt.Sprintf("%d tasks done", n), func() bool {
		got, err := rdb.HLen(ctx, b.prefix+":done").Result()
		return err == nil && got == n
	})
	testenv.WaitFor(t, "queue empty", func() bool { return b.stats(t, "default") == runtime.QueueStats{} })

	done, err := rdb.HGetAll(ctx, b.prefix+":done").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if done[string(id)] != "1" {
			t.Errorf("task %s completed %q times, want exactly 1", id, done[string(id)])
		}
	}
	attempts, _ := rdb.HGetAll(ctx, b.prefix+":attempt").Result()
	completedAt, _ := rdb.HGetAll(ctx, b.prefix+":completedAt").Result()
	var recovered time.Duration
	for _, id := range inFlight {
		if attempts[id] != "1" {
			t.Errorf("task %s, interrupted by the kill, ran again as attempt %s; want attempt 1 (an interruption is not a failed attempt)", id, attempts[id])
		}
		at := time.UnixMicro(atoi(t, completedAt[id]))
		if at.Before(killed) {
			t.Errorf("task %s, in flight in the killed worker, completed before the kill", id)
		}
		recovered = max(recovered, at.Sub(killed))
	}
	// Recovery is bounded by WorkerTTL + Heartbeat; allow for a loaded machine.
	if limit := b.cfg.WorkerTTL + b.cfg.Heartbeat + 1500*time.Millisecond; recovered > limit {
		t.Errorf("the killed worker's tasks completed %v after the kill, want within %v", recovered, limit)
	}
	t.Logf("%d tasks done before the kill, %d interrupted; recovered in %v", doneBefore, len(inFlight), recovered)
}

// TestQueueMaxInterrupts has a task's worker die again and again (a fake
// consumer that never heartbeats reads it): the reclaimer hands it back each
// time with the interrupt count raised, and past MaxInterrupts it goes to
// the dead letter set without running.
func TestQueueMaxInterrupts(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) {
		c.Concurrency = 1
		c.MaxInterrupts = 3
	})
	rdb := testenv.Redis(t)
	ctx := context.Background()
	blockerStarted, releaseBlocker := make(chan struct{}), make(chan struct{})
	blocker := runtime.NewTask(runtime.TaskSpec{Name: "test.blocker", Public: true}, func(ctx context.Context, _ runtime.NoArgs) error {
		close(blockerStarted)
		select {
		case <-releaseBlocker:
		case <-ctx.Done(): // the test failed and is stopping the worker
		}
		return nil
	})
	var victimRuns atomic.Int32
	victim := runtime.NewTask(runtime.TaskSpec{Name: "test.victim", Public: true}, func(ctx context.Context, _ runtime.NoArgs) error {
		victimRuns.Add(1)
		return nil
	})
	b.reg.Register(blocker, victim)
	// The worker's only slot is taken by the blocker, so it reads nothing
	// else: the victim is read only by the fake consumers.
	if _, err := blocker.Enqueue(ctx, b.app, runtime.NoArgs{}); err != nil {
		t.Fatal(err)
	}
	b.run(t)
	<-blockerStarted
	id, err := victim.Enqueue(ctx, b.app, runtime.NoArgs{})
	if err != nil {
		t.Fatal(err)
	}
	lane := b.prefix + ":{default}:l:-"
	for i := range b.cfg.MaxInterrupts {
		ghost := fmt.Sprintf("ghost-%d", i)
		var elem string
		testenv.WaitFor(t, fmt.Sprintf("the victim to be ready for the %d. time", i+1), func() bool {
			elem = ghostDeliver(t, rdb, b.prefix, "default", "-", ghost)
			return elem != ""
		})
		intr, env, _ := strings.Cut(elem, "{")
		if !strings.Contains(env, string(id)) {
			t.Fatalf("fake consumer took %q, want the victim %s", elem, id)
		}
		if want := fmt.Sprint(i); i > 0 && intr != want {
			t.Errorf("delivery %d has interrupt count %q, want %s", i+1, intr, want)
		}
	}
	// The last fake consumer is reclaimed too; the task back in its lane
	// carries the interrupt count that sends it to the dead letter set.
	testenv.WaitFor(t, "the last interruption to be counted", func() bool {
		e, err := rdb.LIndex(ctx, lane, 0).Result()
		return err == nil && strings.HasPrefix(e, fmt.Sprint(b.cfg.MaxInterrupts)+"{")
	})
	close(releaseBlocker)
	var dead []runtime.DeadTask
	testenv.WaitFor(t, "the victim in the dead letter set", func() bool {
		dead, err = b.app.DeadTasks(ctx, "default", 10)
		return err == nil && len(dead) == 1
	})
	if d := dead[0]; d.ID != id || d.Name != "test.victim" || !strings.Contains(d.Error, "3 workers died") || !strings.Contains(d.Error, "MaxInterrupts") {
		t.Errorf("dead task = %+v, want %s with an error naming 3 dead workers and MaxInterrupts", d, id)
	}
	if got := victimRuns.Load(); got != 0 {
		t.Errorf("the victim ran %d times, want 0", got)
	}
	testenv.WaitFor(t, "queue settled", func() bool {
		st := b.stats(t, "default")
		return st == runtime.QueueStats{Dead: 1}
	})
}

// ghostTake takes the first task of a lane as the fetch script does, for a
// fake consumer: it pops it and drops the lane from the ring once empty.
//
// KEYS: lane list, ring. ARGV: lane.
var ghostTake = redis.NewScript(`
local e = redis.call('LPOP', KEYS[1])
if not e then return false end
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('LREM', KEYS[2], 0, ARGV[1]) end
return e
`)

// ghostDeliver has the fake consumer ghost take the first task of lane in
// queue as a fetch would (see ghostTake), add it to the stream and read it,
// so that it is pending under ghost. It returns the lane element, or ""
// if the lane is empty.
func ghostDeliver(t *testing.T, rdb redis.UniversalClient, prefix, queue, lane, ghost string) string {
	t.Helper()
	ctx := context.Background()
	base := prefix + ":{" + queue + "}:"
	elem, err := ghostTake.Run(ctx, rdb, []string{base + "l:" + lane, base + "r"}, lane).Text()
	if errors.Is(err, redis.Nil) {
		return ""
	} else if err != nil {
		t.Fatal(err)
	}
	intr, env, _ := strings.Cut(elem, "{")
	values := []string{"e", "{" + env, "l", lane}
	if intr != "" {
		values = append(values, "i", intr)
	}
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: base + "s", Values: values}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "w", Consumer: ghost, Streams: []string{base + "s", ">"}, Count: 1, Block: -1}).Err(); err != nil {
		t.Fatal(err)
	}
	return elem
}

// TestQueueTwoWorkersNoOverlap runs two workers on one queue: no task may run
// twice, let alone at the same time.
func TestQueueTwoWorkersNoOverlap(t *testing.T) {
	t.Parallel()
	const n = 2000
	var running, runs [n]atomic.Int32
	var overlaps atomic.Int32
	var byApp [2]atomic.Int32
	b := setupQueue(t, func(c *runtime.Config) { c.Concurrency = 8 })
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.once"}, func(ctx context.Context, a echoArgs) error {
		if running[a.N].Add(1) != 1 {
			overlaps.Add(1)
		}
		runs[a.N].Add(1)
		goruntime.Gosched() // give an overlapping run a chance to show
		running[a.N].Add(-1)
		return nil
	})
	b.reg.Register(task)
	tag := func(i int) runtime.Middleware {
		return func(next runtime.Handler) runtime.Handler {
			return runtime.HandlerFunc(func(ctx context.Context, job *runtime.Job) error {
				byApp[i].Add(1)
				return next.Handle(ctx, job)
			})
		}
	}
	app1 := b.openApp(t, func(c *runtime.Config) { c.Middleware = []runtime.Middleware{tag(0)} })
	app2 := b.openApp(t, func(c *runtime.Config) { c.Middleware = []runtime.Middleware{tag(1)} })
	startRun(t, app1)
	startRun(t, app2)

	ctx := runtime.WithTenant(context.Background(), "acme")
	reqs := make([]runtime.Request, n)
	for i := range reqs {
		var err error
		if reqs[i], err = task.NewRequest(ctx, echoArgs{N: i}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.app.EnqueueMany(ctx, reqs); err != nil {
		t.Fatal(err)
	}
	var total atomic.Int32
	testenv.WaitFor(t, "all tasks run and acknowledged", func() bool {
		total.Store(0)
		for i := range runs {
			total.Add(runs[i].Load())
		}
		return total.Load() >= n && b.stats(t, "default") == runtime.QueueStats{}
	})
	if got := overlaps.Load(); got != 0 {
		t.Errorf("%d times a task started while it was already running", got)
	}
	for i := range runs {
		if got := runs[i].Load(); got != 1 {
			t.Errorf("task %d ran %d times, want 1", i, got)
		}
	}
	if byApp[0].Load() == 0 || byApp[1].Load() == 0 {
		t.Errorf("workers ran %d and %d tasks; want both to share the queue", byApp[0].Load(), byApp[1].Load())
	}
}

// TestQueueShutdownWaitsForRunningTasks: tasks running at shutdown finish
// within the grace, with their ctx intact, are acknowledged, and Run returns
// nil.
func TestQueueShutdownWaitsForRunningTasks(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) {
		// As many slots as tasks: while they run, the fetcher waits for a
		// slot and stops as soon as ctx is cancelled.
		c.Concurrency = 3
		c.ShutdownGrace = 10 * time.Second
	})
	// Each task works until 200ms after shutdown began: it is running while
	// Run drains, and done well within the grace.
	const work = 200 * time.Millisecond
	started, shutdown := make(chan struct{}, 3), make(chan struct{})
	var runs atomic.Int32
	ctxErrs := make(chan error, 3)
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.slow"}, func(ctx context.Context, a echoArgs) error {
		runs.Add(1)
		started <- struct{}{}
		<-shutdown
		select {
		case <-time.After(work):
			ctxErrs <- nil
		case <-ctx.Done():
			ctxErrs <- ctx.Err()
		}
		return nil
	})
	b.reg.Register(task)
	ctx := runtime.WithTenant(context.Background(), "acme")
	for i := range 3 {
		if _, err := task.Enqueue(ctx, b.app, echoArgs{N: i}); err != nil {
			t.Fatal(err)
		}
	}
	r := startRun(t, b.app)
	for range 3 {
		<-started
	}
	r.cancel()
	close(shutdown)
	took, err := r.stop(t)
	if err != nil {
		t.Errorf("Run = %v, want nil after a clean shutdown", err)
	}
	// The tasks finish 200ms after the stop; waiting out the grace takes
	// 50 times as long, a margin no load closes.
	if took >= b.cfg.ShutdownGrace {
		t.Errorf("Run took %v to return; the tasks finished early, so it should not wait the grace (%v)", took, b.cfg.ShutdownGrace)
	}
	for range 3 {
		if err := <-ctxErrs; err != nil {
			t.Errorf("a task finishing within the grace saw its ctx cancelled: %v", err)
		}
	}
	if st := b.stats(t, "default"); st != (runtime.QueueStats{}) {
		t.Errorf("after shutdown: %+v, want every task acknowledged", st)
	}
	// Nothing was handed back: no worker can run the tasks again.
	if got := runs.Load(); got != 3 {
		t.Errorf("tasks ran %d times, want 3", got)
	}
}

// TestQueueShutdownCancelsAfterGrace: a task still running when the grace
// expires has its ctx cancelled and is handed back without spending a
// retry; Run returns nil since the task returned.
func TestQueueShutdownCancelsAfterGrace(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) {
		c.ShutdownGrace = 200 * time.Millisecond
		c.Concurrency = 1 // the fetcher waits for the slot, and stops at once
	})
	type call struct {
		attempt int
		ctxErr  error
	}
	calls := make(chan call, 10)
	started := make(chan struct{}, 10)
	var n atomic.Int32
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.long", Retries: 1}, func(ctx context.Context, _ runtime.NoArgs) error {
		job, _ := runtime.JobFrom(ctx)
		started <- struct{}{}
		switch n.Add(1) {
		case 1: // runs until shutdown cancels it
			<-ctx.Done()
			calls <- call{job.Attempt, ctx.Err()}
			return ctx.Err()
		case 2: // the handed-back task fails once...
			calls <- call{job.Attempt, nil}
			return errors.New("fails once")
		default: // ...and its retry succeeds
			calls <- call{job.Attempt, nil}
			return nil
		}
	})
	b.reg.Register(task)
	if _, err := task.Enqueue(runtime.WithTenant(context.Background(), "acme"), b.app, runtime.NoArgs{}); err != nil {
		t.Fatal(err)
	}
	r := startRun(t, b.app)
	<-started
	took, err := r.stop(t)
	if err != nil {
		t.Errorf("Run = %v, want nil: the task returned once cancelled", err)
	}
	if took < b.cfg.ShutdownGrace {
		t.Errorf("Run returned %v after cancel, before the grace (%v) expired", took, b.cfg.ShutdownGrace)
	}
	if c := <-calls; !errors.Is(c.ctxErr, context.Canceled) || c.attempt != 1 {
		t.Errorf("first run: attempt %d, ctx error %v; want attempt 1 cancelled", c.attempt, c.ctxErr)
	}
	if st := b.stats(t, "default"); st != (runtime.QueueStats{Ready: 1}) {
		t.Errorf("after shutdown: %+v, want the task handed back, ready", st)
	}

	startRun(t, b.app)
	for i, want := range []int{1, 2} {
		select {
		case c := <-calls:
			if c.attempt != want {
				t.Errorf("run %d after restart: attempt %d, want %d (shutdown must not spend a retry)", i+1, c.attempt, want)
			}
		case <-time.After(testenv.Timeout):
			t.Fatalf("run %d after restart never happened", i+1)
		}
	}
	testenv.WaitFor(t, "queue empty", func() bool { return b.stats(t, "default") == runtime.QueueStats{} })
}

// TestQueueShutdownTaskIgnoresCtx: when a task ignores its cancelled ctx for
// another grace, Run gives up and returns an error saying so.
func TestQueueShutdownTaskIgnoresCtx(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) { c.ShutdownGrace = 50 * time.Millisecond })
	started, release, returned := make(chan struct{}), make(chan struct{}), make(chan struct{})
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.stubborn", Public: true}, func(ctx context.Context, _ runtime.NoArgs) error {
		defer close(returned)
		close(started)
		<-release
		return ctx.Err()
	})
	b.reg.Register(task)
	if _, err := task.Enqueue(context.Background(), b.app, runtime.NoArgs{}); err != nil {
		t.Fatal(err)
	}
	r := startRun(t, b.app)
	<-started
	took, err := r.stop(t)
	if err == nil || !strings.Contains(err.Error(), "ignore their context") {
		t.Errorf("Run = %v, want an error saying tasks ignore their context", err)
	}
	if took < 2*b.cfg.ShutdownGrace {
		t.Errorf("Run gave up %v after cancel, before two graces (%v)", took, 2*b.cfg.ShutdownGrace)
	}
	// Clean up: the task returns, and is handed back to the queue.
	close(release)
	<-returned
	testenv.WaitFor(t, "the stuck task handed back", func() bool {
		return b.stats(t, "default") == runtime.QueueStats{Ready: 1}
	})
}

// TestQueueShutdownStuckTaskSucceedsLate: a task that ignored its ctx past
// Run's give-up and then returns nil must not crash the process.
func TestQueueShutdownStuckTaskSucceedsLate(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil)
	p := startSubprocess(t, "stuck-returns-nil", b.prefix)
	// The subprocess itself waits up to testenv.Timeout twice: outlast it,
	// so that its own report of what went wrong is what the test shows.
	if err := p.wait(t, 3*testenv.Timeout); err != nil {
		t.Errorf("the worker process failed when its stuck task returned nil after Run gave up: %v (its output follows)", err)
	}
}

// TestQueueLateSettleAfterReclaim: once Run has given up on a stuck task, a
// live worker reclaims it and runs it. When the stuck run finally returns
// its error, it must not put the task on the queue a second time.
func TestQueueLateSettleAfterReclaim(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil)
	var completions, invocations atomic.Int32
	started, release, returned := make(chan struct{}), make(chan struct{}), make(chan struct{})
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.stuckonce", Public: true}, func(ctx context.Context, _ runtime.NoArgs) error {
		if invocations.Add(1) == 1 {
			defer close(returned)
			close(started)
			<-release // ignores ctx
			return ctx.Err()
		}
		completions.Add(1)
		return nil
	})
	b.reg.Register(task)

	// Worker A has a client of its own that reports its settle calls.
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	clientA := redis.NewClient(opts)
	t.Cleanup(func() { clientA.Close() })
	settled := make(chan struct{}, 10)
	clientA.AddHook(settleHook{settled})
	appA := b.openApp(t, func(c *runtime.Config) {
		c.Redis = clientA
		c.ShutdownGrace = 50 * time.Millisecond
	})
	if _, err := task.Enqueue(context.Background(), b.app, runtime.NoArgs{}); err != nil {
		t.Fatal(err)
	}
	runA := startRun(t, appA)
	<-started
	if _, err := runA.stop(t); err == nil {
		t.Fatal("Run of worker A returned nil with a task ignoring its ctx")
	}

	b.run(t) // worker B reclaims the task of A, which no longer heartbeats
	testenv.WaitFor(t, "worker B to complete the task", func() bool {
		return completions.Load() == 1 && b.stats(t, "default") == runtime.QueueStats{}
	})
	close(release) // A's stuck run returns and is settled
	<-returned
	select {
	case <-settled:
	case <-time.After(testenv.Timeout):
		t.Fatal("worker A never settled its stuck task")
	}
	testenv.WaitFor(t, "queue empty", func() bool { return b.stats(t, "default") == runtime.QueueStats{} })
	if got := completions.Load(); got != 1 {
		t.Errorf("task completed %d times, want 1: worker A's late settle put back a task that worker B had already taken over and completed", got)
	}
}

// settleHook signals each settle script call that has completed (the one
// script called with the "requeue" action).
type settleHook struct{ settled chan<- struct{} }

func (settleHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h settleHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if name := cmd.Name(); (name == "evalsha" || name == "eval") && slices.ContainsFunc(cmd.Args(), func(a any) bool { return a == "requeue" }) {
			if err == nil || !strings.HasPrefix(err.Error(), "NOSCRIPT") {
				h.settled <- struct{}{}
			}
		}
		return err
	}
}
func (settleHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestQueuePoisonEntries adds undecodable entries straight to the stream:
// they go to the dead letter set with the reason, and the worker goes on.
func TestQueuePoisonEntries(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil)
	rdb := testenv.Redis(t)
	ctx := context.Background()
	done := make(chan struct{})
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.normal", Public: true}, func(ctx context.Context, _ runtime.NoArgs) error {
		close(done)
		return nil
	})
	b.reg.Register(task)
	stop := b.run(t)
	stream := b.prefix + ":{default}:s"
	v99 := `{"v":99,"id":"FUTURE","task":"test.normal","q":"default","args":[],"r":1,"at":1}`
	poison := map[string][]any{
		"not json":   {"e", "not json"},
		"version 99": {"e", v99},
		"no e field": {"x", "y"},
	}
	entries := map[string]string{}
	for what, values := range poison {
		id, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: values}).Result()
		if err != nil {
			t.Fatal(err)
		}
		entries[what] = id
	}
	if _, err := task.Enqueue(ctx, b.app, runtime.NoArgs{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(testenv.Timeout):
		t.Fatal("the task enqueued after the poison entries never ran")
	}
	var dead []runtime.DeadTask
	testenv.WaitFor(t, "3 dead tasks", func() bool {
		var err error
		dead, err = b.app.DeadTasks(ctx, "default", 10)
		return err == nil && len(dead) == 3
	})
	byID := map[runtime.TaskID]runtime.DeadTask{}
	for _, d := range dead {
		byID[d.ID] = d
	}
	for what, want := range map[string][]string{
		"not json":   {"undecodable", "invalid character"},
		"version 99": {"undecodable", "version 99", "upgrade the worker"},
		"no e field": {"undecodable"},
	} {
		// A task whose envelope cannot be read is filed under its entry ID.
		d, ok := byID[runtime.TaskID(entries[what])]
		if !ok {
			t.Errorf("poison entry %q (%s) not in the dead letter set: %+v", what, entries[what], dead)
			continue
		}
		for _, w := range want {
			if !strings.Contains(d.Error, w) {
				t.Errorf("dead poison entry %q: error %q does not contain %q", what, d.Error, w)
			}
		}
	}
	if d := byID[runtime.TaskID(entries["version 99"])]; !strings.Contains(string(d.Args), `"v":99`) {
		t.Errorf("dead version-99 entry keeps %q, want the raw envelope for inspection", d.Args)
	}
	testenv.WaitFor(t, "queue settled", func() bool { return b.stats(t, "default") == runtime.QueueStats{Dead: 3} })
	if err := stop(); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}
