package runtime

import (
	"context"
	"log/slog"
)

// LogHandler returns a slog.Handler that adds, to every record logged with
// the ctx of a running task, the task's ID, name, tenant, queue and attempt
// (keys task_id, task, tenant, queue and attempt, as in the App's own log
// lines), then passes it to h. Records logged outside a task pass through
// unchanged. Use it for the logger that tasks log through:
//
//	slog.SetDefault(slog.New(runtime.LogHandler(slog.NewJSONHandler(os.Stderr, nil))))
//	...
//	slog.InfoContext(ctx, "invoice sent") // inside a task: task_id=... task=... tenant=acme ...
//
// Package oteltenantgen's LogHandler adds the trace and span IDs as well.
// Attributes are added at the top level of the record, or in the current
// group of a handler made with WithGroup.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ h slog.Handler }

func (l logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return l.h.Enabled(ctx, level)
}

func (l logHandler) Handle(ctx context.Context, r slog.Record) error {
	if job, ok := JobFrom(ctx); ok {
		r.AddAttrs(
			slog.String("task_id", string(job.ID)),
			slog.String("task", job.Name),
			slog.String("tenant", job.Tenant),
			slog.String("queue", job.Queue),
			slog.Int("attempt", job.Attempt),
		)
	}
	return l.h.Handle(ctx, r)
}

func (l logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{l.h.WithAttrs(attrs)}
}

func (l logHandler) WithGroup(name string) slog.Handler { return logHandler{l.h.WithGroup(name)} }
