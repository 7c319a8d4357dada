package runtime_test

// Queue benchmarks against the test Redis (see internal/testenv). Every
// benchmark works on a key prefix of its own and deletes its keys when it
// ends. One op is one task in all of them, so ns/op compares across them.
//
// Documented invocation (2-core machine, loopback Redis 7.0): the
// throughput benchmarks with 50,000 tasks each, and the latency benchmark,
// which pauses 1 ms between tasks so that the worker is idle, with fewer:
//
//	go test -run '^$' -bench 'Enqueue|EndToEnd' -benchtime 50000x -count 3 ./runtime/
//	go test -run '^$' -bench Latency -benchtime 3000x -count 3 ./runtime/
//
// The custom metrics are:
//
//	tasks/s   tasks per second, for the enqueue and end-to-end benchmarks
//	p50-ms    median latency from before Enqueue to the start of the task
//	p99-ms    99th percentile of the same

import (
	"context"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// runCounter counts the runs of a task, and closes done at the nth.
type runCounter struct {
	ran  atomic.Int64
	n    int64
	done chan struct{}
}

func newRunCounter(n int) *runCounter {
	return &runCounter{n: int64(n), done: make(chan struct{})}
}

// benchTask registers a no-op task, counting its runs in c if it is not nil,
// and returns a Request for it.
func benchTask(b *testing.B, q *queueBundle, c *runCounter) runtime.Request {
	b.Helper()
	task := runtime.NewTask(runtime.TaskSpec{Name: "bench.noop"}, func(ctx context.Context, _ runtime.NoArgs) error {
		if c != nil && c.ran.Add(1) == c.n {
			close(c.done)
		}
		return nil
	})
	if err := q.reg.Register(task); err != nil {
		b.Fatal(err)
	}
	req, err := task.NewRequest(runtime.WithTenant(b.Context(), "acme"), runtime.NoArgs{})
	if err != nil {
		b.Fatal(err)
	}
	return req
}

// batchOf returns n copies of req.
func batchOf(req runtime.Request, n int) []runtime.Request {
	reqs := make([]runtime.Request, n)
	for i := range reqs {
		reqs[i] = req
	}
	return reqs
}

// enqueueAll enqueues n copies of req with EnqueueMany, batch at a time.
func enqueueAll(b *testing.B, app *runtime.App, req runtime.Request, n, batch int) {
	b.Helper()
	reqs := batchOf(req, batch)
	for done := 0; done < n; done += batch {
		if _, err := app.EnqueueMany(b.Context(), reqs[:min(batch, n-done)]); err != nil {
			b.Fatal(err)
		}
	}
}

// reportRate reports n tasks over the benchmark's elapsed time as tasks/s.
func reportRate(b *testing.B, n int) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(n)/s, "tasks/s")
	}
}

// checkEmpty fails b unless the default queue holds no task: every task
// ran and was acknowledged.
func checkEmpty(b *testing.B, q *queueBundle) {
	b.Helper()
	st, err := q.app.Stats(context.Background(), "default")
	if err != nil {
		b.Fatal(err)
	}
	if st != (runtime.QueueStats{}) {
		b.Fatalf("queue not empty after the run: %+v", st)
	}
}

// BenchmarkEnqueue enqueues one task per Enqueue call.
func BenchmarkEnqueue(b *testing.B) {
	q := setupQueue(b, nil)
	req := benchTask(b, q, nil)
	ctx := b.Context()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := q.app.Enqueue(ctx, req); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportRate(b, n)
}

// BenchmarkEnqueueMany enqueues b.N tasks with EnqueueMany, in batches.
func BenchmarkEnqueueMany(b *testing.B) {
	for _, batch := range []int{100, 1000} {
		b.Run("batch="+strconv.Itoa(batch), func(b *testing.B) {
			q := setupQueue(b, nil)
			req := benchTask(b, q, nil)
			b.ReportAllocs()
			b.ResetTimer()
			enqueueAll(b, q.app, req, b.N, batch)
			b.StopTimer()
			reportRate(b, b.N)
		})
	}
}

// BenchmarkEndToEnd runs b.N no-op tasks on a worker with 16 concurrent
// handlers, enqueued with EnqueueMany in batches of 1000. It stops when the
// task has counted b.N runs.
//
//   - processing: every task is enqueued before the timer starts; the timer
//     covers starting the worker and working the backlog.
//   - with-enqueue: the worker is started (idle) first; the timer covers
//     enqueueing the tasks while the worker works them.
func BenchmarkEndToEnd(b *testing.B) {
	const batch = 1000
	setup := func(b *testing.B) (*queueBundle, runtime.Request, *runCounter) {
		q := setupQueue(b, func(c *runtime.Config) { c.Concurrency = 16 })
		ran := newRunCounter(b.N)
		return q, benchTask(b, q, ran), ran
	}
	wait := func(b *testing.B, c *runCounter) {
		select {
		case <-c.done:
		case <-time.After(5*time.Minute + time.Duration(b.N)*time.Millisecond):
			b.Fatalf("only %d of %d tasks ran", c.ran.Load(), b.N)
		}
	}

	b.Run("processing", func(b *testing.B) {
		q, req, ran := setup(b)
		enqueueAll(b, q.app, req, b.N, batch)
		b.ReportAllocs()
		b.ResetTimer()
		stop := q.run(b)
		wait(b, ran)
		b.StopTimer()
		reportRate(b, b.N)
		if err := stop(); err != nil {
			b.Fatal(err)
		}
		checkEmpty(b, q)
	})

	b.Run("with-enqueue", func(b *testing.B) {
		q, req, ran := setup(b)
		stop := q.run(b)
		// Let the worker start (it creates the stream), so that the timer
		// sees a worker waiting for tasks, as in production.
		testenv.WaitFor(b, "worker to start", func() bool {
			n, err := q.cfg.Redis.Exists(b.Context(), q.prefix+":{default}:s").Result()
			return err == nil && n == 1
		})
		time.Sleep(50 * time.Millisecond)
		b.ReportAllocs()
		b.ResetTimer()
		enqueueAll(b, q.app, req, b.N, batch)
		wait(b, ran)
		b.StopTimer()
		reportRate(b, b.N)
		if err := stop(); err != nil {
			b.Fatal(err)
		}
		checkEmpty(b, q)
	})
}

// BenchmarkLatency measures the time from before Enqueue to the start of
// the task on an idle worker, one task at a time.
func BenchmarkLatency(b *testing.B) {
	q := setupQueue(b, nil)
	started := make(chan time.Time, 1)
	task := runtime.NewTask(runtime.TaskSpec{Name: "bench.latency"}, func(ctx context.Context, _ runtime.NoArgs) error {
		started <- time.Now()
		return nil
	})
	if err := q.reg.Register(task); err != nil {
		b.Fatal(err)
	}
	req, err := task.NewRequest(runtime.WithTenant(b.Context(), "acme"), runtime.NoArgs{})
	if err != nil {
		b.Fatal(err)
	}
	stop := q.run(b)
	ctx := b.Context()
	// Warm up: the worker is running and its connections are open.
	for range 10 {
		if _, err := q.app.Enqueue(ctx, req); err != nil {
			b.Fatal(err)
		}
		<-started
	}
	var samples []time.Duration
	timeout := time.NewTimer(time.Hour)
	for b.Loop() {
		// Idle: the worker has nothing to do and waits in its blocking read.
		time.Sleep(time.Millisecond)
		t0 := time.Now()
		if _, err := q.app.Enqueue(ctx, req); err != nil {
			b.Fatal(err)
		}
		timeout.Reset(10 * time.Second)
		select {
		case t1 := <-started:
			samples = append(samples, t1.Sub(t0))
		case <-timeout.C:
			b.Fatal("task did not start within 10s")
		}
	}
	b.StopTimer()
	if err := stop(); err != nil {
		b.Fatal(err)
	}
	slices.Sort(samples)
	pct := func(p float64) float64 {
		return float64(samples[int(p*float64(len(samples)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
