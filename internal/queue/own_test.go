package queue

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
)

// TestOwnLostReply: a fetch whose reply the worker never got (here, one
// run under the worker's consumer name from outside it, as a client's
// resend after a reconnect would) leaves entries pending under the live
// worker that it does not hold. The worker hands them back, without
// counting an interruption, and each task runs once.
func TestOwnLostReply(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	cfg := testConfig(t, rdb)
	c := NewClient(rdb, cfg)
	ctx := t.Context()
	var mu sync.Mutex
	runs := map[string]int{}
	w := NewWorker(c, funcRunner(func(_ context.Context, e *Envelope) error {
		if e.Attempt != 0 {
			t.Errorf("task %s runs as attempt %d, want 1", e.ID, e.Attempt+1)
		}
		mu.Lock()
		runs[e.ID]++
		mu.Unlock()
		return nil
	}))
	envs := []*Envelope{env("t.o", "a", "default", "{}"), env("t.o", "b", "default", "{}"), env("t.o", "", "default", "{}")}
	enqueue(t, c, envs...)
	p := w.parts[0]
	if err := rdb.XGroupCreateMkStream(ctx, p.k.stream, group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	ghost := NewWorker(c, nil)
	ghost.id = w.id
	lost, err := ghost.fetchNow(ctx, nil, ghost.parts, 10)
	if err != nil || len(lost) != len(envs) {
		t.Fatalf("the lost fetch got %d tasks, %v; want %d", len(lost), err, len(envs))
	}
	runCtx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- w.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}()
	testenv.WaitFor(t, "the tasks of the lost fetch to run", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(runs) == len(envs)
	})
	testenv.WaitFor(t, "the stream to empty", func() bool {
		n, err := rdb.XLen(ctx, p.k.stream).Result()
		return err == nil && n == 0
	})
	mu.Lock()
	for _, e := range envs {
		if runs[e.ID] != 1 {
			t.Errorf("task %s ran %d times, want 1", e.ID, runs[e.ID])
		}
	}
	mu.Unlock()
}

// failWrites is a hook that fails every pipeline holding XACK or EVALSHA,
// and every EVALSHA, while on: Redis unreachable for acks and settles.
type failWrites struct {
	on    atomic.Bool
	tries atomic.Int32
}

func (*failWrites) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *failWrites) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.on.Load() && strings.HasPrefix(cmd.Name(), "evalsha") && settleCall(cmd) {
			h.tries.Add(1)
			cmd.SetErr(errors.New("test: redis unreachable"))
			return cmd.Err()
		}
		return next(ctx, cmd)
	}
}

func (h *failWrites) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h.on.Load() {
			for _, c := range cmds {
				if c.Name() == "xack" {
					h.tries.Add(1)
					for _, c := range cmds {
						c.SetErr(errors.New("test: redis unreachable"))
					}
					return cmds[0].Err()
				}
			}
		}
		return next(ctx, cmds)
	}
}

// settleCall reports whether cmd runs settleScript.
func settleCall(cmd redis.Cmder) bool {
	args := cmd.Args()
	return len(args) > 1 && args[1] == settleScript.Hash()
}

// TestOwnFailedAcksAndSettles: acknowledgements and settles that fail
// while Redis is unreachable are retried once it is back, so that no entry
// is stranded pending under the live worker, and no task runs twice.
func TestOwnFailedAcksAndSettles(t *testing.T) {
	t.Parallel()
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	hook := &failWrites{}
	rdb.AddHook(hook)
	cfg := testConfig(t, rdb)
	c := NewClient(rdb, cfg)
	var mu sync.Mutex
	runs := map[string]int{}
	startWorker(t, c, funcRunner(func(_ context.Context, e *Envelope) error {
		mu.Lock()
		runs[e.ID]++
		mu.Unlock()
		if strings.Contains(string(e.Args), "fail") && e.Attempt == 0 {
			return errors.New("fails once") // its settle (a retry) fails too
		}
		return nil
	}))
	hook.on.Store(true)
	envs := []*Envelope{env("t.f", "a", "default", "{}"), env("t.f", "b", "default", `{"fail":1}`), env("t.f", "c", "default", "{}")}
	enqueue(t, c, envs...)
	ran := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, r := range runs {
			n += r
		}
		return n
	}
	testenv.WaitFor(t, "the first attempts", func() bool { return ran() == 3 })
	// Past flushAcks' own tries: the reclaimer has retried too.
	testenv.WaitFor(t, "acks and settles to fail repeatedly", func() bool { return hook.tries.Load() >= 8 })
	hook.on.Store(false)
	testenv.WaitFor(t, "every task settled", func() bool {
		st, err := c.Stats(t.Context(), "default")
		return err == nil && st == Stats{} && ran() == 4
	})
	mu.Lock()
	defer mu.Unlock()
	for _, e := range envs {
		want := 1
		if strings.Contains(string(e.Args), "fail") {
			want = 2
		}
		if runs[e.ID] != want {
			t.Errorf("task %s ran %d times, want %d", e.ID, runs[e.ID], want)
		}
	}
}
