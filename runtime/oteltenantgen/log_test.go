package oteltenantgen_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
	"github.com/tenantgen/tenantgen/runtime/oteltenantgen"
)

// TestLogLinesCarryTaskAndTrace checks that a line that a task logs with
// its ctx carries the task, its tenant, its attempt, and the trace and span
// of its process span.
func TestLogLinesCarryTaskAndTrace(t *testing.T) {
	t.Parallel()
	var buf testenv.Logs
	logger := slog.New(oteltenantgen.LogHandler(slog.NewJSONHandler(&buf, nil)))
	b := setup(t, nil)
	task := runtime.NewTask(runtime.TaskSpec{Name: "log.invoice"}, func(ctx context.Context, _ runtime.NoArgs) error {
		logger.InfoContext(ctx, "invoice sent", "cents", 1200)
		return nil
	})
	b.register(t, task)
	b.run(t)
	id, err := task.Enqueue(runtime.WithTenant(t.Context(), "initech"), b.app, runtime.NoArgs{})
	if err != nil {
		t.Fatal(err)
	}
	span := b.waitSpans(t, "process default", 1)[0]
	testenv.WaitFor(t, "the task's line", func() bool { return strings.Contains(buf.String(), "invoice sent") })
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(buf.String())), &line); err != nil {
		t.Fatal(err)
	}
	delete(line, "time")
	want := map[string]any{
		"level": "INFO", "msg": "invoice sent", "cents": 1200.0,
		"task_id": string(id), "task": "log.invoice", "tenant": "initech", "queue": "default", "attempt": 1.0,
		"trace_id": span.SpanContext().TraceID().String(), "span_id": span.SpanContext().SpanID().String(),
	}
	if diff := cmp.Diff(want, line); diff != "" {
		t.Errorf("the task's log line (-want +got):\n%s", diff)
	}
}
