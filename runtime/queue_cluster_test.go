package runtime_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// TestQueueRedisCluster works three queues, each served by another node of
// a three-node Redis Cluster: a worker that read several queues with one
// command would fail with CROSSSLOT. It covers every path that touches Redis
// (batched and unique enqueue, delays, retries, dead letters and their
// requeue, reclaiming a dead worker's task, stats, a prompt shutdown), with
// and without StrictPriority, which reads differently.
func TestQueueRedisCluster(t *testing.T) {
	t.Parallel()
	addrs := testenv.RedisCluster(t)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { cc.Close() })
	queues := queuePerNode(t, cc, len(addrs))

	for _, tc := range []struct {
		name   string
		strict bool
	}{
		{"weighted priority", false},
		{"strict priority", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testQueueOnCluster(t, addrs, cc, queues, tc.strict)
		})
	}
}

// queuePerNode returns n queue names, the i-th of which lies in the slots
// of the i-th node of RedisCluster, with priorities 1 to n.
func queuePerNode(t *testing.T, cc *redis.ClusterClient, n int) map[string]int {
	t.Helper()
	queues := make(map[string]int)
	taken := make([]bool, n)
	for i := 0; len(queues) < n; i++ {
		if i == 1000 {
			t.Fatalf("found queues for %d nodes of %d", len(queues), n)
		}
		q := fmt.Sprintf("q%d", i)
		slot, err := cc.ClusterKeySlot(context.Background(), q).Result()
		if err != nil {
			t.Fatal(err)
		}
		node := min(int(slot)/(16384/n), n-1)
		if !taken[node] {
			taken[node] = true
			queues[q] = len(queues) + 1
		}
	}
	return queues
}

func testQueueOnCluster(t *testing.T, addrs []string, cc *redis.ClusterClient, queues map[string]int, strict bool) {
	ctx := runtime.WithTenant(context.Background(), "acme")
	reg := runtime.NewRegistry()
	prefix := "c-" + strings.ToLower(rand.Text()[:8])
	// The App has a client of its own, whose nodes report the worker's
	// blocking reads, which go to the nodes directly.
	watch := newReadWatch()
	appClient := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	appClient.OnNewNode(func(c *redis.Client) { c.AddHook(watch) })
	t.Cleanup(func() { appClient.Close() })
	app, err := runtime.Open(ctx, runtime.Config{
		Redis:          appClient,
		Prefix:         prefix,
		Registry:       reg,
		Queues:         queues,
		StrictPriority: strict,
		Concurrency:    4,
		Backoff:        func(int) time.Duration { return time.Millisecond },
		Heartbeat:      100 * time.Millisecond,
		WorkerTTL:      500 * time.Millisecond,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })

	// Tasks with N%10 == 0 fail for good, N%10 == 1 fail once; the others
	// succeed.
	var mu sync.Mutex
	runs := map[int]int{}
	done := map[int]string{} // N to the queue it ran from
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.cluster"}, func(ctx context.Context, a echoArgs) error {
		job, _ := runtime.JobFrom(ctx)
		mu.Lock()
		defer mu.Unlock()
		runs[a.N]++
		switch {
		case a.N%10 == 0:
			return runtime.Permanent(errors.New("doomed"))
		case a.N%10 == 1 && job.Attempt == 1:
			return errors.New("fails once")
		}
		done[a.N] = job.Queue
		return nil
	})
	reg.Register(task)

	var names []string
	for q := range queues {
		names = append(names, q)
	}
	// A task that a dead worker was running: the reclaimer hands it back.
	const reclaimed = 1005 // succeeds at once
	if _, err := task.Enqueue(ctx, app, echoArgs{N: reclaimed}, runtime.Queue(names[0])); err != nil {
		t.Fatal(err)
	}
	stream := prefix + ":{" + names[0] + "}:s"
	if err := cc.XGroupCreateMkStream(ctx, stream, "w", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if ghostDeliver(t, cc, prefix, names[0], "acme", "ghost-1-abcdef") == "" {
		t.Fatal("the task to reclaim is not in its lane")
	}

	// One batch over every queue: ready, delayed and unique tasks, and a
	// duplicate of a unique one.
	const total = 60
	var reqs []runtime.Request
	want := map[int]string{reclaimed: names[0]}
	for n := range total {
		q := names[n%len(names)]
		opts := []runtime.EnqueueOption{runtime.Queue(q)}
		switch n % 10 {
		case 2:
			opts = append(opts, runtime.Delay(20*time.Millisecond))
		case 3:
			opts = append(opts, runtime.Unique(time.Hour))
		}
		req, err := task.NewRequest(ctx, echoArgs{N: n}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, req)
		if n%10 != 0 {
			want[n] = q
		}
	}
	reqs = append(reqs, reqs[3])
	ids, err := app.EnqueueMany(ctx, reqs)
	var be *runtime.BatchError
	if !errors.As(err, &be) || len(be.Errs) != 1 || be.Errs[0].Index != total || !errors.Is(err, runtime.ErrDuplicate) {
		t.Fatalf("EnqueueMany = %v, want one duplicate, request %d", err, total)
	}
	if ids[total] != ids[3] {
		t.Errorf("the duplicate's ID is %q, want the first's, %q", ids[total], ids[3])
	}

	r := startRun(t, app)
	stats := func(q string) runtime.QueueStats {
		st, err := app.Stats(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	settled := func() bool {
		for _, q := range names {
			st := stats(q)
			if st.Ready+st.Running+st.Scheduled > 0 {
				return false
			}
		}
		return true
	}
	testenv.WaitFor(t, "every task settled", settled)
	mu.Lock()
	if diff := cmp.Diff(want, done); diff != "" {
		t.Errorf("tasks done, by the queue they ran from (-want +got):\n%s", diff)
	}
	mu.Unlock()

	// Each queue's dead tasks, then one of them requeued: it runs again.
	var again runtime.TaskID
	for _, q := range names {
		dead, err := app.DeadTasks(context.Background(), q, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(dead), total/10/len(names); got != want {
			t.Errorf("queue %q has %d dead tasks, want %d", q, got, want)
		}
		if len(dead) > 0 {
			again = dead[0].ID
			if err := app.RequeueDead(context.Background(), q, again); err != nil {
				t.Fatal(err)
			}
		}
	}
	testenv.WaitFor(t, "the requeued tasks dead again", func() bool {
		mu.Lock()
		defer mu.Unlock()
		twice := 0
		for _, n := range runs {
			if n == 2 {
				twice++
			}
		}
		return twice == total/10+len(names) && settled() // the retried ones, and one per queue
	})

	// The idle worker blocks reading each queue's stream on its node: a
	// prompt stop cuts every read short (see readWatch).
	watch.stopping.Store(true)
	took, err := r.stop(t)
	if err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	watch.check(t, took)
}
