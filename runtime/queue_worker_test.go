package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// msResolution is the resolution of due times in Redis (Unix ms). Tests of
// delays and backoff allow it; TestQueueAtNeverEarly checks that a due time
// is never rounded down.
const msResolution = time.Millisecond

// TestQueueDelay: Delay and At tasks start no earlier than due, and not
// absurdly late.
func TestQueueDelay(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil)
	startedAt := make(chan [2]time.Time, 2) // due, started
	var mu sync.Mutex
	due := map[int]time.Time{}
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.delayed", Public: true}, func(ctx context.Context, a echoArgs) error {
		now := time.Now()
		mu.Lock()
		d := due[a.N]
		mu.Unlock()
		startedAt <- [2]time.Time{d, now}
		return nil
	})
	b.reg.Register(task)
	b.run(t)
	ctx := context.Background()

	mu.Lock()
	due[0] = time.Now().Add(300 * time.Millisecond) // before the option computes its own
	mu.Unlock()
	if _, err := task.Enqueue(ctx, b.app, echoArgs{N: 0}, runtime.Delay(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(400 * time.Millisecond)
	mu.Lock()
	due[1] = at
	mu.Unlock()
	if _, err := task.Enqueue(ctx, b.app, echoArgs{N: 1}, runtime.At(at)); err != nil {
		t.Fatal(err)
	}
	if st := b.stats(t, "default"); st.Scheduled != 2 {
		t.Errorf("Stats before the due times = %+v, want 2 scheduled", st)
	}
	for range 2 {
		select {
		case s := <-startedAt:
			if early := s[0].Sub(s[1]); early > msResolution {
				t.Errorf("task due at %v started %v early", s[0].Format(time.StampMicro), early)
			}
			if late := s[1].Sub(s[0]); late > 3*time.Second {
				t.Errorf("task due at %v started %v late", s[0].Format(time.StampMicro), late)
			}
		case <-time.After(testenv.Timeout):
			t.Fatal("delayed task never ran")
		}
	}
}

// TestQueueAtNeverEarly checks the due time stored for a delayed task (the
// score in the queue's delayed ZSET, in Unix ms; see docs/queue.md): it must
// not be before the time given to At or Delay, or the forwarder may start
// the task up to 1ms early. Times just short of a whole millisecond show a
// due time rounded down.
func TestQueueAtNeverEarly(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil) // no worker: the tasks stay in the delayed set
	rdb := testenv.Redis(t)
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.at", Public: true}, func(context.Context, echoArgs) error { return nil })
	due := map[runtime.TaskID]time.Time{}
	for i := range 3 {
		at := time.Now().Truncate(time.Millisecond).Add(time.Hour + time.Duration(i)*time.Millisecond + 999*time.Microsecond)
		id, err := task.Enqueue(context.Background(), b.app, echoArgs{N: i}, runtime.At(at))
		if err != nil {
			t.Fatal(err)
		}
		due[id] = at
	}
	entries, err := rdb.ZRangeWithScores(context.Background(), b.prefix+":{default}:z", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(due) {
		t.Fatalf("delayed set holds %d tasks, want %d", len(entries), len(due))
	}
	for _, z := range entries {
		var env struct {
			ID runtime.TaskID `json:"id"`
		}
		// A member is the task's route key, then its envelope.
		member := z.Member.(string)
		if err := json.Unmarshal([]byte(member[strings.IndexByte(member, '{'):]), &env); err != nil {
			t.Fatal(err)
		}
		at, ok := due[env.ID]
		if !ok {
			t.Fatalf("unknown task %q in the delayed set", env.ID)
		}
		if stored := time.UnixMilli(int64(z.Score)); stored.Before(at) {
			t.Errorf("task At %s is stored as due at %s, %v early: the due time must be rounded up to the millisecond", at.Format(time.StampMicro), stored.Format(time.StampMicro), at.Sub(stored))
		}
	}
}

// TestQueueRetryBackoff: a retry waits for Backoff.
func TestQueueRetryBackoff(t *testing.T) {
	t.Parallel()
	const wait = 200 * time.Millisecond
	var mu sync.Mutex
	var backoffArgs []int
	b := setupQueue(t, func(c *runtime.Config) {
		c.Backoff = func(attempt int) time.Duration {
			mu.Lock()
			backoffArgs = append(backoffArgs, attempt)
			mu.Unlock()
			return wait
		}
	})
	starts := make(chan time.Time, 3)
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.backoff", Public: true, Retries: 2}, func(ctx context.Context, _ runtime.NoArgs) error {
		starts <- time.Now()
		job, _ := runtime.JobFrom(ctx)
		if job.Attempt < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	b.reg.Register(task)
	b.run(t)
	if _, err := task.Enqueue(context.Background(), b.app, runtime.NoArgs{}); err != nil {
		t.Fatal(err)
	}
	var prev time.Time
	for i := range 3 {
		select {
		case s := <-starts:
			if i > 0 {
				if gap := s.Sub(prev); gap < wait-msResolution || gap > wait+3*time.Second {
					t.Errorf("attempt %d started %v after attempt %d, want about %v (Backoff)", i+1, gap, i, wait)
				}
			}
			prev = s
		case <-time.After(testenv.Timeout):
			t.Fatalf("attempt %d never ran", i+1)
		}
	}
	testenv.WaitFor(t, "queue empty", func() bool { return b.stats(t, "default") == runtime.QueueStats{} })
	mu.Lock()
	defer mu.Unlock()
	if len(backoffArgs) != 2 || backoffArgs[0] != 1 || backoffArgs[1] != 2 {
		t.Errorf("Backoff called with %v, want [1 2]", backoffArgs)
	}
}

// TestQueueUnique covers unique windows: duplicates within the window, what
// is not a duplicate, duplicates inside a batch, and the window's end.
func TestQueueUnique(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil) // no worker: tasks stay queued
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.unique"}, func(context.Context, echoArgs) error { return nil })
	ctx := runtime.WithTenant(context.Background(), "acme")
	hour := runtime.Unique(time.Hour)

	first, err := task.Enqueue(ctx, b.app, echoArgs{N: 1}, hour)
	if err != nil {
		t.Fatal(err)
	}
	again, err := task.Enqueue(ctx, b.app, echoArgs{N: 1}, hour)
	if !errors.Is(err, runtime.ErrDuplicate) || again != first {
		t.Errorf("second Enqueue = %q, %v; want %q and ErrDuplicate", again, err, first)
	}
	if other, err := task.Enqueue(ctx, b.app, echoArgs{N: 1}, hour, runtime.ForTenant("globex")); err != nil || other == first {
		t.Errorf("Enqueue for another tenant = %q, %v; want a new task", other, err)
	}
	if other, err := task.Enqueue(ctx, b.app, echoArgs{N: 2}, hour); err != nil || other == first {
		t.Errorf("Enqueue with other arguments = %q, %v; want a new task", other, err)
	}
	if st := b.stats(t, "default"); st.Ready != 3 {
		t.Errorf("Ready = %d, want 3 (the duplicate must not be queued)", st.Ready)
	}

	// A batch: index 1 duplicates index 0, index 3 duplicates the task
	// enqueued first above, index 4 duplicates index 2.
	var reqs []runtime.Request
	for _, n := range []int{10, 10, 11, 1, 11, 12} {
		req, err := task.NewRequest(ctx, echoArgs{N: n}, hour)
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, req)
	}
	ids, err := b.app.EnqueueMany(ctx, reqs)
	var be *runtime.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("EnqueueMany = %v, want a *BatchError", err)
	}
	failed := map[int]bool{}
	for _, ie := range be.Errs {
		failed[ie.Index] = true
		if !errors.Is(ie.Err, runtime.ErrDuplicate) {
			t.Errorf("request %d: %v, want ErrDuplicate", ie.Index, ie.Err)
		}
	}
	if len(failed) != 3 || !failed[1] || !failed[3] || !failed[4] {
		t.Errorf("BatchError names requests %v, want 1, 3 and 4", be.Errs)
	}
	if !errors.Is(err, runtime.ErrDuplicate) {
		t.Errorf("errors.Is(BatchError, ErrDuplicate) = false")
	}
	if len(ids) != 6 || ids[1] != ids[0] || ids[3] != first || ids[4] != ids[2] || ids[0] == ids[2] || ids[5] == "" {
		t.Errorf("EnqueueMany IDs = %v; want duplicates to carry the queued task's ID", ids)
	}
	if st := b.stats(t, "default"); st.Ready != 6 {
		t.Errorf("Ready = %d after the batch, want 6 (3 new tasks)", st.Ready)
	}

	// After the window, the same task can be enqueued again.
	short := runtime.Unique(300 * time.Millisecond)
	before := time.Now()
	id1, err := task.Enqueue(ctx, b.app, echoArgs{N: 99}, short)
	if err != nil {
		t.Fatal(err)
	}
	var id2 runtime.TaskID
	testenv.WaitFor(t, "the unique window to end", func() bool {
		var err error
		id2, err = task.Enqueue(ctx, b.app, echoArgs{N: 99}, short)
		switch {
		case errors.Is(err, runtime.ErrDuplicate):
			if id2 != id1 {
				t.Fatalf("duplicate reported with ID %q, want %q", id2, id1)
			}
			return false
		case err != nil:
			t.Fatal(err)
		}
		return true
	})
	if elapsed := time.Since(before); elapsed < 300*time.Millisecond {
		t.Errorf("a duplicate was accepted %v after the first, within its 300ms window", elapsed)
	}
	if id2 == id1 {
		t.Errorf("enqueue after the window returned the old ID %q", id1)
	}
}

// TestQueueTaskTimeout: a task's ctx has the deadline of its timeout, and
// returning ctx.Err() is a failed attempt.
func TestQueueTaskTimeout(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil)
	const timeout = 100 * time.Millisecond
	type attempt struct {
		hasDeadline bool
		left, took  time.Duration
	}
	attempts := make(chan attempt, 5)
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.timeout", Public: true, Retries: 1}, func(ctx context.Context, _ runtime.NoArgs) error {
		start := time.Now()
		dl, ok := ctx.Deadline()
		<-ctx.Done()
		attempts <- attempt{ok, dl.Sub(start), time.Since(start)}
		return ctx.Err()
	})
	b.reg.Register(task)
	b.run(t)
	id, err := task.Enqueue(context.Background(), b.app, runtime.NoArgs{}, runtime.Timeout(timeout))
	if err != nil {
		t.Fatal(err)
	}
	var dead []runtime.DeadTask
	testenv.WaitFor(t, "the task in the dead letter set", func() bool {
		var err error
		dead, err = b.app.DeadTasks(context.Background(), "default", 10)
		return err == nil && len(dead) == 1
	})
	if d := dead[0]; d.ID != id || d.Attempts != 2 || !strings.Contains(d.Error, "deadline exceeded") {
		t.Errorf("dead task = %+v, want %s after 2 attempts with a deadline error", d, id)
	}
	if n := len(attempts); n != 2 {
		t.Fatalf("task ran %d times, want 2", n)
	}
	for range 2 {
		a := <-attempts
		if !a.hasDeadline || a.left > timeout || a.left <= 0 {
			t.Errorf("task ctx deadline: present %v, %v ahead; want within %v", a.hasDeadline, a.left, timeout)
		}
		// The upper bound catches a ctx that ends at another deadline,
		// such as DefaultTimeout (10 minutes); it is testenv.Timeout, not
		// a multiple of timeout, because a loaded machine delays the
		// wake-up, and the test must not assert speed.
		// The lower bound is the deadline as the task saw it at its start:
		// the worker sets it a moment before the task begins.
		if a.took < a.left-msResolution || a.took > testenv.Timeout {
			t.Errorf("attempt ran %v before its ctx was done, want about %v (%v left at its start)", a.took, timeout, a.left)
		}
	}
}

// TestQueueStrictPriority: with StrictPriority, a worker starts every ready
// task of a higher-priority queue before any of a lower one.
func TestQueueStrictPriority(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) {
		// Close weights, so that weighted random ordering would show.
		c.Queues = map[string]int{"high": 2, "low": 1}
		c.StrictPriority = true
		c.Concurrency = 1
	})
	var mu sync.Mutex
	var order []string
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.prio", Public: true}, func(ctx context.Context, _ runtime.NoArgs) error {
		job, _ := runtime.JobFrom(ctx)
		mu.Lock()
		order = append(order, job.Queue)
		mu.Unlock()
		return nil
	})
	b.reg.Register(task)
	const n = 20
	var reqs []runtime.Request
	for _, q := range []string{"low", "high"} {
		for range n {
			req, err := task.NewRequest(context.Background(), runtime.NoArgs{}, runtime.Queue(q))
			if err != nil {
				t.Fatal(err)
			}
			reqs = append(reqs, req)
		}
	}
	if _, err := b.app.EnqueueMany(context.Background(), reqs); err != nil {
		t.Fatal(err)
	}
	r := startRun(t, b.app)
	allRan := testenv.Eventually(func() bool { mu.Lock(); defer mu.Unlock(); return len(order) == 2*n })
	if err := r.stopOrAbandon(t); err != nil {
		t.Errorf("Run = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !allRan {
		t.Fatalf("only %d of %d tasks ran (worker hung?): %v", len(order), 2*n, order)
	}
	for i, q := range order[:n] {
		if q != "high" {
			t.Errorf("task %d run was from queue %q; want the %d high tasks first, got order %v", i+1, q, n, order)
			break
		}
	}
}

// TestQueueSeveralQueuesNoDeadlock: an idle worker whose queues all have
// tasks ready must run them. Reading up to the free slots from each of
// several streams returns more tasks than slots; the worker must not wait,
// with no task running, for slots that only running tasks can free.
func TestQueueSeveralQueuesNoDeadlock(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) {
		c.Queues = map[string]int{"a": 1, "b": 1}
		c.Concurrency = 2
	})
	var ran atomic.Int32
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.multi", Public: true}, func(context.Context, runtime.NoArgs) error {
		ran.Add(1)
		return nil
	})
	b.reg.Register(task)
	for _, q := range []string{"a", "a", "b", "b"} {
		if _, err := task.Enqueue(context.Background(), b.app, runtime.NoArgs{}, runtime.Queue(q)); err != nil {
			t.Fatal(err)
		}
	}
	r := startRun(t, b.app)
	if !testenv.Eventually(func() bool { return ran.Load() == 4 }) {
		t.Errorf("%d of 4 tasks on 2 queues ran; the idle worker hung", ran.Load())
	}
	if err := r.stopOrAbandon(t); err != nil {
		t.Errorf("Run = %v", err)
	}
}

// TestQueueCappedQueueThroughput: a queue at its QueueConcurrency cap starts
// its next task as soon as a slot of it frees, not after the fetcher's
// blocking read of the other (empty) queues times out.
func TestQueueCappedQueueThroughput(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) {
		c.Queues = map[string]int{"low": 1, "default": 1}
		c.QueueConcurrency = map[string]int{"low": 1}
		c.Concurrency = 4
	})
	var ran atomic.Int32
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.quick", Public: true}, func(context.Context, runtime.NoArgs) error {
		ran.Add(1)
		return nil
	})
	b.reg.Register(task)
	const n = 6
	for range n {
		if _, err := task.Enqueue(context.Background(), b.app, runtime.NoArgs{}, runtime.Queue("low")); err != nil {
			t.Fatal(err)
		}
	}
	// While a task of low runs, the fetcher waits only for default. If
	// that wait blocked for the full 500ms timeout, each task but the last
	// would wait for it: count such reads, rather than bound the time the
	// tasks take, which a loaded machine stretches. A read lasts at least
	// as long as the server blocks it, so a full-length read is never
	// missed; a short one is stretched past 500ms only by a stall, which
	// does not hit half of them.
	watch := &longReads{without: b.prefix + ":{low}:k", atLeast: 500 * time.Millisecond}
	b.cfg.Redis.(*redis.Client).AddHook(watch)
	start := time.Now()
	b.run(t)
	testenv.WaitFor(t, "the capped tasks", func() bool { return ran.Load() == n })
	if long := watch.n.Load(); long >= n/2 {
		t.Errorf("%d no-op tasks on a queue capped at 1 took %v; %d waited for the fetcher's blocking read of the other queue to time out", n, time.Since(start), long)
	}
}

// longReads is a hook that counts the blocking waits for a wake token
// (BLPOP) that leave out the wake key without and take atLeast or longer.
type longReads struct {
	without string
	atLeast time.Duration
	n       atomic.Int32
}

func (*longReads) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *longReads) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() != "blpop" || slices.Contains(cmd.Args(), any(h.without)) {
			return next(ctx, cmd)
		}
		start := time.Now()
		err := next(ctx, cmd)
		if time.Since(start) >= h.atLeast {
			h.n.Add(1)
		}
		return err
	}
}
func (*longReads) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestQueueConcurrencyCap: QueueConcurrency caps one queue while others use
// the rest of Concurrency.
func TestQueueConcurrencyCap(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) {
		c.Queues = map[string]int{"low": 1, "default": 1}
		c.QueueConcurrency = map[string]int{"low": 1}
		c.Concurrency = 8
	})
	var cur, peak [2]atomic.Int32 // low, default
	var ran atomic.Int32
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.capped", Public: true}, func(ctx context.Context, _ runtime.NoArgs) error {
		job, _ := runtime.JobFrom(ctx)
		i := 1
		if job.Queue == "low" {
			i = 0
		}
		c := cur[i].Add(1)
		for p := peak[i].Load(); c > p && !peak[i].CompareAndSwap(p, c); p = peak[i].Load() {
		}
		time.Sleep(10 * time.Millisecond) // the task's work
		cur[i].Add(-1)
		ran.Add(1)
		return nil
	})
	b.reg.Register(task)
	const nLow, nDefault = 6, 16
	var reqs []runtime.Request
	for _, q := range []string{"low", "default"} {
		for range map[string]int{"low": nLow, "default": nDefault}[q] {
			req, err := task.NewRequest(context.Background(), runtime.NoArgs{}, runtime.Queue(q))
			if err != nil {
				t.Fatal(err)
			}
			reqs = append(reqs, req)
		}
	}
	if _, err := b.app.EnqueueMany(context.Background(), reqs); err != nil {
		t.Fatal(err)
	}
	b.run(t)
	testenv.WaitFor(t, "all tasks", func() bool { return ran.Load() == nLow+nDefault })
	if p := peak[0].Load(); p != 1 {
		t.Errorf("up to %d low tasks ran at once, want 1 (QueueConcurrency)", p)
	}
	if p := peak[1].Load(); p < 2 {
		t.Errorf("up to %d default tasks ran at once; the cap of low must not limit other queues", p)
	}
}

// TestOpenValidatesConfig: Open rejects invalid configurations, naming the
// field, before it connects to Redis.
func TestOpenValidatesConfig(t *testing.T) {
	t.Parallel()
	const down = "redis://127.0.0.1:1/0" // validation must fail before dialing it
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { client.Close() })
	const pg = "postgres://127.0.0.1:1/x" // never dialed either
	reg := runtime.NewRegistry()
	if err := reg.Register(runtime.NewTask(runtime.TaskSpec{Name: "t.reads", DBs: []string{"replica"}}, func(context.Context, runtime.NoArgs) error { return nil })); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  runtime.Config
		want []string
	}{
		{"no redis", runtime.Config{}, []string{"RedisURL or Redis"}},
		{"both redis", runtime.Config{RedisURL: down, Redis: client}, []string{"not both"}},
		{"bad url", runtime.Config{RedisURL: "mysql://x"}, []string{"RedisURL"}},
		{"prefix brace", runtime.Config{RedisURL: down, Prefix: "a{b}"}, []string{"Prefix"}},
		{"prefix space", runtime.Config{RedisURL: down, Prefix: "a b"}, []string{"Prefix"}},
		{"default queue", runtime.Config{RedisURL: down, DefaultQueue: "Bad Queue"}, []string{"DefaultQueue"}},
		{"queue name", runtime.Config{RedisURL: down, Queues: map[string]int{"UPPER": 1}}, []string{"Queues"}},
		{"queue priority", runtime.Config{RedisURL: down, Queues: map[string]int{"q": 0}}, []string{"Queues", "priority"}},
		{"cap unknown queue", runtime.Config{RedisURL: down, QueueConcurrency: map[string]int{"other": 1}}, []string{"QueueConcurrency", "other"}},
		{"cap zero", runtime.Config{RedisURL: down, QueueConcurrency: map[string]int{"default": -1}}, []string{"QueueConcurrency"}},
		{"concurrency", runtime.Config{RedisURL: down, Concurrency: -1}, []string{"Concurrency"}},
		{"tenant limits unknown queue", runtime.Config{RedisURL: down, TenantLimits: map[string]runtime.Limits{"other": {Concurrency: 1}}}, []string{"TenantLimits", `"other"`, "not in Queues"}},
		{"tenant limits negative", runtime.Config{RedisURL: down, TenantLimits: map[string]runtime.Limits{"default": {Concurrency: -1}}}, []string{"TenantLimits", "concurrency -1"}},
		{"tenant limits rate", runtime.Config{RedisURL: down, TenantLimits: map[string]runtime.Limits{"default": {Rate: runtime.Rate{Starts: 5}}}}, []string{"TenantLimits", "window"}},
		{"partitions", runtime.Config{RedisURL: down, QueuePartitions: map[string]int{"default": 0}}, []string{"QueuePartitions", "1 to 64"}},
		{"max payload", runtime.Config{RedisURL: down, MaxPayload: -1}, []string{"MaxPayload"}},
		{"retries", runtime.Config{RedisURL: down, DefaultRetries: -2}, []string{"DefaultRetries"}},
		{"timeout", runtime.Config{RedisURL: down, DefaultTimeout: -time.Second}, []string{"DefaultTimeout"}},
		{"grace", runtime.Config{RedisURL: down, ShutdownGrace: -time.Second}, []string{"ShutdownGrace"}},
		{"heartbeat", runtime.Config{RedisURL: down, Heartbeat: -time.Second}, []string{"Heartbeat"}},
		{"ttl short", runtime.Config{RedisURL: down, Heartbeat: time.Second, WorkerTTL: 2 * time.Second}, []string{"WorkerTTL", "Heartbeat"}},
		{"ttl negative", runtime.Config{RedisURL: down, WorkerTTL: -time.Second}, []string{"WorkerTTL"}},
		{"interrupts", runtime.Config{RedisURL: down, MaxInterrupts: -1}, []string{"MaxInterrupts"}},
		{"dead len", runtime.Config{RedisURL: down, DeadMaxLen: -1}, []string{"DeadMaxLen"}},
		{"every field", runtime.Config{RedisURL: down, Concurrency: -1, DeadMaxLen: -1, Prefix: "{x}"}, []string{"Concurrency", "DeadMaxLen", "Prefix"}},
		{"tenants db name", runtime.Config{RedisURL: down, TenantsDB: "Bad Alias"}, []string{"TenantsDB"}},
		{"no tenant store", runtime.Config{RedisURL: down, Databases: map[string]string{"main": pg}}, []string{"Tenants", `tenants database "default"`}},
		{"task database", runtime.Config{RedisURL: down, Registry: reg, Databases: map[string]string{"default": pg}}, []string{`task "t.reads" declares database "replica", which is not configured`}},
		{"schedule without registry", runtime.Config{RedisURL: down, Schedule: runtime.SchedulerConfig{Entries: []runtime.Entry{{Task: "t.reads", Every: time.Minute}}}}, []string{"Schedule needs Registry"}},
		{"schedule unregistered", runtime.Config{RedisURL: down, Registry: runtime.NewRegistry(), Schedule: runtime.SchedulerConfig{Entries: []runtime.Entry{{Task: "t.gone", Every: time.Minute}}}}, []string{`Schedule: entry "t.gone": task "t.gone" is not registered`}},
		{"every problem at once", runtime.Config{RedisURL: down, Registry: reg, Databases: map[string]string{"main": pg}, Schedule: runtime.SchedulerConfig{Entries: []runtime.Entry{{Task: "t.gone", Every: time.Minute}}}},
			[]string{"TenantsDB", `"replica", which is not configured`, `"t.gone" is not registered`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app, err := runtime.Open(context.Background(), tc.cfg)
			if err == nil {
				app.Close()
				t.Fatal("Open succeeded, want an invalid Config error")
			}
			wantError(t, err, append([]string{"tenantgen: invalid Config: "}, tc.want...)...)
			if strings.Contains(err.Error(), "connect") || strings.Contains(err.Error(), "dial") {
				t.Errorf("Open tried to connect before rejecting the Config: %v", err)
			}
		})
	}
}

// TestOpenUnreachableRedis: Open pings Redis and fails promptly and clearly
// when it does not answer.
func TestOpenUnreachableRedis(t *testing.T) {
	t.Parallel()
	start := time.Now()
	app, err := runtime.Open(context.Background(), runtime.Config{RedisURL: "redis://127.0.0.1:1/0"})
	if err == nil {
		app.Close()
		t.Fatal("Open of an unreachable Redis succeeded")
	}
	wantError(t, err, "connect to redis", "127.0.0.1:1", "RedisURL")
	// A refused dial fails at once; go-redis' retries of the dial and of
	// the PING give up within about two seconds. The bound only catches an
	// Open that hangs or retries without end, and is generous so as not
	// to assert speed.
	if took := time.Since(start); took > testenv.Timeout {
		t.Errorf("Open took %v to report an unreachable Redis", took)
	}
}

// TestRunWithoutRegistry: Run refuses to work without a registry.
func TestRunWithoutRegistry(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) { c.Registry = nil })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wantError(t, b.app.Run(ctx), "Registry")
}

// TestQueueStats counts tasks in each state.
func TestQueueStats(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, func(c *runtime.Config) { c.Concurrency = 2 })
	ctx := context.Background()
	if st := b.stats(t, "default"); st != (runtime.QueueStats{}) {
		t.Errorf("empty queue: %+v, want zeros", st)
	}
	started, release := make(chan struct{}, 3), make(chan struct{})
	blocker := runtime.NewTask(runtime.TaskSpec{Name: "test.block", Public: true}, func(ctx context.Context, _ runtime.NoArgs) error {
		started <- struct{}{}
		<-release
		return nil
	})
	failer := runtime.NewTask(runtime.TaskSpec{Name: "test.fail", Public: true, Retries: runtime.NoRetries}, func(ctx context.Context, _ runtime.NoArgs) error {
		return errors.New("fails")
	})
	b.reg.Register(blocker, failer)
	for range 3 {
		if _, err := blocker.Enqueue(ctx, b.app, runtime.NoArgs{}); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if _, err := blocker.Enqueue(ctx, b.app, runtime.NoArgs{}, runtime.Delay(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if st := b.stats(t, "default"); st != (runtime.QueueStats{Ready: 3, Scheduled: 2}) {
		t.Errorf("before any worker: %+v, want 3 ready and 2 scheduled", st)
	}
	b.run(t)
	<-started
	<-started
	if st := b.stats(t, "default"); st != (runtime.QueueStats{Ready: 1, Running: 2, Scheduled: 2}) {
		t.Errorf("with 2 slots busy: %+v, want 1 ready, 2 running, 2 scheduled", st)
	}
	close(release)
	<-started
	if _, err := failer.Enqueue(ctx, b.app, runtime.NoArgs{}); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "the blocked tasks done and the failed one dead", func() bool {
		return b.stats(t, "default") == runtime.QueueStats{Scheduled: 2, Dead: 1}
	})
	if st := b.stats(t, "no-such-queue"); st != (runtime.QueueStats{}) {
		t.Errorf("unknown queue: %+v, want zeros", st)
	}
}

// TestEnqueueErrors: invalid requests are rejected without reaching Redis,
// the valid requests of a batch are enqueued all the same, and a broken
// connection is an error, not a panic.
func TestEnqueueErrors(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil)
	ctx := context.Background()
	valid := runtime.Request{Name: "test.valid", Args: []byte(`{"n":1}`), Tenant: "acme"}
	for _, tc := range []struct {
		name string
		req  runtime.Request
		want []string
	}{
		{"no name", runtime.Request{Args: []byte(`[]`)}, []string{"task name"}},
		{"bad queue", runtime.Request{Name: "test.x", Queue: "Not A Queue", Args: []byte(`[]`)}, []string{"test.x", "queue name"}},
		{"bad json", runtime.Request{Name: "test.x", Args: []byte(`{"n":`)}, []string{"test.x", "not valid JSON"}},
		{"no args", runtime.Request{Name: "test.x"}, []string{"test.x", "not valid JSON"}},
	} {
		id, err := b.app.Enqueue(ctx, tc.req)
		if id != "" {
			t.Errorf("%s: Enqueue returned ID %q with an error", tc.name, id)
		}
		wantError(t, err, tc.want...)
	}
	if st := b.stats(t, "default"); st != (runtime.QueueStats{}) {
		t.Errorf("after invalid requests: %+v, want nothing queued", st)
	}

	bad := valid
	bad.Args = []byte("nope")
	ids, err := b.app.EnqueueMany(ctx, []runtime.Request{valid, bad, valid})
	var be *runtime.BatchError
	if !errors.As(err, &be) || len(be.Errs) != 1 || be.Errs[0].Index != 1 {
		t.Fatalf("EnqueueMany = %v, want a BatchError for request 1", err)
	}
	wantError(t, err, "request 1", "not valid JSON")
	if len(ids) != 3 || ids[0] == "" || ids[1] != "" || ids[2] == "" || ids[0] == ids[2] {
		t.Errorf("EnqueueMany IDs = %q, want IDs for requests 0 and 2 only", ids)
	}
	if st := b.stats(t, "default"); st.Ready != 2 {
		t.Errorf("Ready = %d, want the 2 valid requests enqueued", st.Ready)
	}

	// A closed client: every call fails cleanly.
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opts)
	cfg := b.cfg
	cfg.Redis = client
	app, err := runtime.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	client.Close()
	if id, err := app.Enqueue(ctx, valid); err == nil || id != "" {
		t.Errorf("Enqueue on a closed client = %q, %v; want an error", id, err)
	} else {
		wantError(t, err, "enqueue", "closed")
	}
	if ids, err := app.EnqueueMany(ctx, []runtime.Request{valid, valid}); err == nil {
		t.Errorf("EnqueueMany on a closed client = %v, nil; want an error", ids)
	}
	uniq := valid
	uniq.Unique = time.Hour
	if _, err := app.Enqueue(ctx, uniq); err == nil {
		t.Error("unique Enqueue on a closed client succeeded")
	}
	if _, err := app.Stats(ctx, "default"); err == nil {
		t.Error("Stats on a closed client succeeded")
	}
}

// TestRunChecksLateRegistrations: a task registered after Open that
// declares a database the App does not have stops Run before it starts,
// as Open would have refused it.
func TestRunChecksLateRegistrations(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil)
	late := runtime.NewTask(runtime.TaskSpec{Name: "test.late", DBs: []string{"replica"}}, func(context.Context, runtime.NoArgs) error { return nil })
	if err := b.reg.Register(late); err != nil {
		t.Fatal(err)
	}
	err := b.app.Run(t.Context())
	wantError(t, err, `tenantgen: task "test.late" declares database "replica", which is not configured`)
}
