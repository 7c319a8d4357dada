package runtime_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// blockSignal reports each blocking XREADGROUP on c just before it is
// sent.
type blockSignal struct{ c chan struct{} }

func (blockSignal) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h blockSignal) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "xreadgroup" && blocking(cmd) {
			select {
			case h.c <- struct{}{}:
			default:
			}
		}
		return next(ctx, cmd)
	}
}
func (blockSignal) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func blocking(cmd redis.Cmder) bool {
	for _, a := range cmd.Args() {
		if s, ok := a.(string); ok && strings.EqualFold(s, "block") {
			return true
		}
	}
	return false
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
			blocked := make(chan struct{}, 1)
			b := setupQueue(t, func(c *runtime.Config) {
				rdb := testenv.Redis(t)
				rdb.AddHook(blockSignal{blocked})
				c.Redis = rdb
				c.Queues = tc.queues
			})
			for range 3 {
				select {
				case <-blocked: // left by the previous Run
				default:
				}
				r := startRun(t, b.app)
				select {
				case <-blocked:
				case <-time.After(testenv.Timeout):
					t.Fatal("the idle worker never blocked reading")
				}
				// The blocking read is being sent: it blocks for 500ms
				// unless Run cuts it short.
				took, err := r.stop(t)
				if err != nil {
					t.Fatalf("Run = %v, want nil", err)
				}
				if took > 250*time.Millisecond {
					t.Errorf("Run returned %v after its ctx was cancelled, want it prompt", took)
				}
			}
		})
	}
}
