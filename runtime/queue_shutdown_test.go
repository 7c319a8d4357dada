package runtime_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// readWatch is a hook that watches a worker's blocking reads: it reports
// each blocking wait for a wake token (BLPOP) on blocked just before it is
// sent and, once
// stopping is set, counts the blocking reads that end and the CLIENT
// UNBLOCKs that cut one short (reply 1).
//
// Tests of a prompt shutdown assert on these counts, not on how long Run
// takes to return: a prompt Run returns in milliseconds, a slow one after
// its 500ms blocking read times out, and under -race on a loaded machine
// the one can take as long as the other. The server's reply to CLIENT
// UNBLOCK tells them apart: every read that ends after the stop must have
// been cut short. (A read that times out just between stopping being set
// and the ctx being cancelled would count against the worker; that window
// is a few instructions wide.)
type readWatch struct {
	blocked   chan struct{}
	stopping  atomic.Bool
	ended     atomic.Int32 // blocking reads ended empty once stopping
	unblocked atomic.Int32 // successful CLIENT UNBLOCKs once stopping
}

func newReadWatch() *readWatch { return &readWatch{blocked: make(chan struct{}, 1)} }

// reset clears the counts and stopping, for another Run.
func (h *readWatch) reset() {
	h.stopping.Store(false)
	h.ended.Store(0)
	h.unblocked.Store(0)
	select {
	case <-h.blocked: // left by the previous Run
	default:
	}
}

// check fails the test if a blocking read ended after stopping was set
// without being cut short.
func (h *readWatch) check(t *testing.T, took time.Duration) {
	t.Helper()
	if ended, unblocked := h.ended.Load(), h.unblocked.Load(); unblocked < ended {
		t.Errorf("after its ctx was cancelled, Run waited for %d of %d blocking reads to time out instead of cutting them short (CLIENT UNBLOCK); it returned after %v", ended-unblocked, ended, took)
	}
}

func (*readWatch) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *readWatch) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		read := cmd.Name() == "blpop"
		if read {
			select {
			case h.blocked <- struct{}{}:
			default:
			}
		}
		err := next(ctx, cmd)
		switch {
		case !h.stopping.Load():
		case read && errors.Is(err, redis.Nil):
			// It timed out or was cut short; one that got a wake token
			// (a task came as the worker was stopping) waited for nothing.
			h.ended.Add(1)
		case unblock(cmd):
			if c, ok := cmd.(*redis.IntCmd); ok && c.Val() == 1 {
				h.unblocked.Add(1)
			}
		}
		return err
	}
}
func (*readWatch) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// unblock reports whether cmd is CLIENT UNBLOCK.
func unblock(cmd redis.Cmder) bool {
	args := cmd.Args()
	if len(args) < 2 || cmd.Name() != "client" {
		return false
	}
	s, ok := args[1].(string)
	return ok && strings.EqualFold(s, "unblock")
}

// TestQueueStopWhileIdleIsPrompt: an idle worker, blocked reading its
// streams, returns from Run as soon as its ctx is cancelled, not when the
// blocking read times out.
func TestQueueStopWhileIdleIsPrompt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		queues map[string]int
	}{
		{"one queue", map[string]int{"default": 1}},
		{"several queues", map[string]int{"default": 1, "mail": 2, "billing": 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			watch := newReadWatch()
			b := setupQueue(t, func(c *runtime.Config) {
				rdb := testenv.Redis(t)
				rdb.AddHook(watch)
				c.Redis = rdb
				c.Queues = tc.queues
			})
			for range 3 {
				watch.reset()
				r := startRun(t, b.app)
				select {
				case <-watch.blocked:
				case <-time.After(testenv.Timeout):
					t.Fatal("the idle worker never blocked reading")
				}
				// The blocking read is being sent: it blocks for 500ms
				// unless Run cuts it short.
				watch.stopping.Store(true)
				took, err := r.stop(t)
				if err != nil {
					t.Fatalf("Run = %v, want nil", err)
				}
				watch.check(t, took)
			}
		})
	}
}
