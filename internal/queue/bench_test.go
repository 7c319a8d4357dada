package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/internal/testenv"
)

// BenchmarkCodec measures what the hand-written envelope codec is worth end
// to end: the engine works b.N no-op tasks on 16 handlers, with the
// hand-written codec and with encoding/json alone (useJSON). The Runner does
// nothing, so that the codec's share is as large as it gets; through
// package runtime, tenancy and the handler chain add their own costs.
//
//   - processing: the tasks are enqueued before the timer starts; the timer
//     covers working the backlog, which decodes every envelope.
//   - with-enqueue: the timer covers enqueueing the tasks, in batches of
//     1000, which encodes them, while an idle worker works them.
//
// docs/queue.md records the figures of
//
//	go test -run '^$' -bench Codec -benchtime 20000x -count 3 ./internal/queue/
func BenchmarkCodec(b *testing.B) {
	for _, mode := range []string{"processing", "with-enqueue"} {
		for _, codec := range []struct {
			name    string
			useJSON bool
		}{{"fast", false}, {"json", true}} {
			b.Run(mode+"/codec="+codec.name, func(b *testing.B) {
				useJSON = codec.useJSON
				b.Cleanup(func() { useJSON = false })
				benchWork(b, mode == "with-enqueue")
			})
		}
	}
}

// benchWork runs b.N no-op tasks through a Worker, enqueueing them before
// the timer starts unless withEnqueue.
func benchWork(b *testing.B, withEnqueue bool) {
	rdb := testenv.Redis(b)
	cfg := Config{
		Prefix:         testenv.UniqueKey(b, "q"),
		Queues:         map[string]int{"default": 1},
		Concurrency:    16,
		DefaultTimeout: time.Minute,
		Backoff:        func(int) time.Duration { return time.Second },
		ShutdownGrace:  10 * time.Second,
		Heartbeat:      time.Second,
		WorkerTTL:      10 * time.Second,
		MaxInterrupts:  5,
		DeadMaxLen:     1000,
		Logger:         slog.New(slog.DiscardHandler),
	}
	c := NewClient(rdb, cfg)
	k := queueKeys(cfg.Prefix, "default", 0)
	b.Cleanup(func() { deleteKeys(rdb, cfg.Prefix) })

	run := &countJob{n: int64(b.N), done: make(chan struct{})}
	enqueue := func() {
		const batch = 1000
		for done := 0; done < b.N; done += batch {
			bt := c.Batch()
			for i := range min(batch, b.N-done) {
				env := Envelope{
					Version: EnvelopeVersion, ID: NewID(), Name: "bench.noop", Tenant: "acme", Queue: "default",
					Args: json.RawMessage(`{}`), Retries: 10, Enqueued: time.Now().UnixMilli(),
				}
				if err := bt.Add(b.Context(), i, &env, time.Time{}, 0, ""); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := bt.Exec(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
	}
	start := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- NewWorker(c, runner{run}).Run(ctx) }()
		return func() {
			cancel()
			if err := <-errc; err != nil {
				b.Error(err)
			}
		}
	}

	var stop func()
	if withEnqueue {
		stop = start()
		waitStream(b, c, k.stream)
	} else {
		enqueue()
	}
	b.ReportAllocs()
	b.ResetTimer()
	if withEnqueue {
		enqueue()
	} else {
		stop = start()
	}
	select {
	case <-run.done:
	case <-time.After(time.Minute + time.Duration(b.N)*time.Millisecond):
		b.Fatalf("only %d of %d tasks ran", run.ran.Load(), b.N)
	}
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "tasks/s")
	}
	stop()
}

// waitStream waits for the worker to create stream, so that the timer sees
// a worker waiting for tasks.
func waitStream(b *testing.B, c *Client, stream string) {
	b.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := c.rdb.Exists(b.Context(), stream).Result()
		if err == nil && n == 1 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("worker did not create stream %s: %v", stream, err)
		}
		time.Sleep(time.Millisecond)
	}
}

// runner hands the one job of a benchmark out for every envelope.
type runner struct{ job *countJob }

func (r runner) Prepare(*Envelope, string) (Job, error) { return r.job, nil }

func (r runner) Run(ctx context.Context, job Job) error { return job.(*countJob).Run(ctx) }

// countJob counts its runs, and closes done at the nth.
type countJob struct {
	ran  atomic.Int64
	n    int64
	done chan struct{}
}

func (j *countJob) Run(context.Context) error {
	if j.ran.Add(1) == j.n {
		close(j.done)
	}
	return nil
}

// BenchmarkFetch measures what the fetch script costs per task with 10,
// 100, 1,000 and 10,000 tenants holding ready tasks in one queue: b.N tasks
// spread over the tenants are fetched 64 at a time, each fetch carrying the
// acknowledgements of the previous one, as a busy worker does. It reports
// the time per task seen by the client (ns/op) and Redis's own time per
// task in the fetch script (redis-ns/task, from INFO commandstats), on a
// Redis of its own. With fewer tenants than a fetch takes (10), a lane's
// turn takes several tasks; from 100 on, one.
//
//	go test -run '^$' -bench Fetch -benchtime 20000x ./internal/queue/
func BenchmarkFetch(b *testing.B) {
	rdb := testenv.PrivateRedis(b)
	for _, tenants := range []int{10, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("tenants=%d", tenants), func(b *testing.B) {
			cfg := testConfig(b, rdb)
			c := NewClient(rdb, cfg)
			w := NewWorker(c, nil)
			p := w.parts[0]
			ctx := b.Context()
			if err := rdb.XGroupCreateMkStream(ctx, p.k.stream, group, "0").Err(); err != nil {
				b.Fatal(err)
			}
			fillLanes(b, c, "bench.noop", tenants)
			before := testenv.RedisScriptTime(b, rdb)
			b.ResetTimer()
			got, _ := drainPart(b, w, p, 64)
			b.StopTimer()
			if got != b.N {
				b.Fatalf("fetched %d tasks, want %d", got, b.N)
			}
			b.ReportMetric(float64(testenv.RedisScriptTime(b, rdb)-before)/float64(b.N), "redis-ns/task")
		})
	}
}

// fillLanes enqueues b.N tasks named task, spread round-robin over the
// given number of tenants, in batches of 1,000.
func fillLanes(b *testing.B, c *Client, task string, tenants int) {
	b.Helper()
	const batch = 1000
	for done := 0; done < b.N; done += batch {
		bt := c.Batch()
		for i := range min(batch, b.N-done) {
			e := env(task, "t"+strconv.Itoa((done+i)%tenants), "default", "{}")
			if err := bt.Add(b.Context(), i, e, time.Time{}, 0, ""); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := bt.Exec(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

// drainPart fetches from p, count at a time, until b.N tasks came, each
// fetch acknowledging the previous one's tasks; it returns how many came
// and the last fetch's tasks, not yet acknowledged.
func drainPart(b *testing.B, w *Worker, p *part, count int) (got int, acks []*delivery) {
	b.Helper()
	for got < b.N {
		list, err := w.fetchNow(b.Context(), acks, []*part{p}, count)
		if err != nil {
			b.Fatal(err)
		}
		got += len(list)
		acks = list
	}
	return got, acks
}
