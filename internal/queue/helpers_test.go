package queue

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
)

// deleteKeys deletes every key under prefix.
func deleteKeys(rdb redis.UniversalClient, prefix string) {
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
}

// testConfig returns the Config of an engine test on a fresh prefix, whose
// keys are deleted when the test ends.
func testConfig(t testing.TB, rdb redis.UniversalClient) Config {
	t.Helper()
	prefix := testenv.UniqueKey(t, "q")
	t.Cleanup(func() { deleteKeys(rdb, prefix) })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("TENANTGEN_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return Config{
		Prefix:         prefix,
		Queues:         map[string]int{"default": 1},
		Concurrency:    4,
		DefaultTimeout: time.Minute,
		Backoff:        func(int) time.Duration { return time.Millisecond },
		ShutdownGrace:  5 * time.Second,
		Heartbeat:      100 * time.Millisecond,
		WorkerTTL:      500 * time.Millisecond,
		MaxInterrupts:  5,
		DeadMaxLen:     1000,
		MaxPayload:     1 << 20,
		Logger:         logger,
	}
}

// env returns a ready envelope of task for tenant in queue, with args.
func env(task, tenant, queue, args string) *Envelope {
	return &Envelope{
		Version: EnvelopeVersion, ID: NewID(), Name: task, Tenant: tenant, Queue: queue,
		Args: json.RawMessage(args), Retries: 3, Enqueued: time.Now().UnixMilli(),
	}
}

// enqueue adds envs to their queues in one batch, failing the test on an
// error.
func enqueue(t testing.TB, c *Client, envs ...*Envelope) {
	t.Helper()
	b := c.Batch()
	for i, e := range envs {
		if err := b.Add(t.Context(), i, e, time.Time{}, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// startWorker runs a Worker of c with r until the test ends, and returns a
// function that stops it and returns Run's error.
func startWorker(t testing.TB, c *Client, r Runner) func() error {
	t.Helper()
	return runWorker(t, NewWorker(c, r))
}

// runWorker runs w as startWorker does.
func runWorker(t testing.TB, w *Worker) func() error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx) }()
	var once sync.Once
	var err error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-errc:
			case <-time.After(testenv.Timeout):
				t.Errorf("worker did not stop within %v", testenv.Timeout)
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

// funcRunner runs every task with run.
type funcRunner func(ctx context.Context, env *Envelope) error

func (f funcRunner) Prepare(env *Envelope, _ string) (Job, error) { return env, nil }

func (f funcRunner) Run(ctx context.Context, job Job) error { return f(ctx, job.(*Envelope)) }

// recorder records the order in which tasks start, by tenant.
type recorder struct {
	mu     sync.Mutex
	starts []string // tenant of each start; "-" for public
	ids    map[string]int
}

func newRecorder() *recorder { return &recorder{ids: make(map[string]int)} }

func (r *recorder) record(env *Envelope) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := env.Tenant
	if t == "" {
		t = "-"
	}
	r.starts = append(r.starts, t)
	r.ids[env.ID]++
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.starts)
}

func (r *recorder) order() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.starts...)
}

// laneKeys returns the lane keys of partition k that exist.
func laneKeys(t testing.TB, rdb redis.UniversalClient, k keys) []string {
	t.Helper()
	var out []string
	iter := rdb.Scan(t.Context(), 0, k.base+"l:*", 1000).Iterator()
	for iter.Next(t.Context()) {
		out = append(out, strings.TrimPrefix(iter.Val(), k.base+"l:"))
	}
	return out
}
