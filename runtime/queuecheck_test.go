package runtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

func TestRunWarnsOfUnworkedQueues(t *testing.T) {
	t.Parallel()
	noop := func(context.Context, struct{}) error { return nil }
	specs := []runtime.TaskSpec{
		{Name: "test.invoice", Queue: "billing"},
		{Name: "test.charge", Queue: "billing"},
		{Name: "test.import", Queue: "imports"},
		{Name: "test.plain"}, // on Config.DefaultQueue
	}
	for _, tt := range []struct {
		name         string
		queues       map[string]int
		defaultQueue string
		want         []string // the warnings' queue and tasks
	}{
		{"every queue worked", map[string]int{"billing": 2, "imports": 1, "default": 1}, "", nil},
		{"one queue left out", map[string]int{"billing": 2, "default": 1}, "", []string{
			"queue=imports tasks=[test.import]",
		}},
		{"a worker of one queue", map[string]int{"imports": 1}, "", []string{
			"queue=billing tasks=[test.charge test.invoice]",
			"queue=default tasks=[test.plain]",
		}},
		{"the default queue renamed", map[string]int{"billing": 1, "imports": 1}, "main", []string{
			"queue=main tasks=[test.plain]",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logs := new(testenv.Logs)
			b := setupQueue(t, func(c *runtime.Config) {
				c.Queues, c.DefaultQueue = tt.queues, tt.defaultQueue
				c.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
			})
			for _, s := range specs {
				if err := b.reg.Register(runtime.NewTask(s, noop)); err != nil {
					t.Fatal(err)
				}
			}
			// The check runs before the worker starts: a cancelled ctx
			// makes Run return at once (with an error that does not
			// matter here), and its log holds the warnings.
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			b.app.Run(ctx)
			var got []string
			for line := range strings.Lines(logs.String()) {
				var rec struct {
					Level, Msg, Queue string
					Tasks             []string
				}
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("log line %q: %v", line, err)
				}
				if !strings.Contains(rec.Msg, "does not work the queue") {
					continue
				}
				if rec.Level != "WARN" {
					t.Errorf("not a warning: %s", line)
				}
				got = append(got, fmt.Sprintf("queue=%s tasks=%v", rec.Queue, rec.Tasks))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("warnings (-want +got):\n%s\nlog:\n%s", diff, logs.String())
			}
		})
	}
}
