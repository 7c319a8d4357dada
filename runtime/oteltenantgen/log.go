package oteltenantgen

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/tenantgen/tenantgen/runtime"
)

// LogHandler returns a slog.Handler that adds to every record logged with
// a task's ctx the task's ID, name, tenant, queue and attempt
// (runtime.LogHandler), and to every record logged with a ctx that has a
// valid span its trace_id and span_id, then passes it to h:
//
//	slog.SetDefault(slog.New(oteltenantgen.LogHandler(slog.NewJSONHandler(os.Stderr, nil))))
func LogHandler(h slog.Handler) slog.Handler { return traceHandler{runtime.LogHandler(h)} }

type traceHandler struct{ h slog.Handler }

func (t traceHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return t.h.Enabled(ctx, level)
}

func (t traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return t.h.Handle(ctx, r)
}

func (t traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceHandler{t.h.WithAttrs(attrs)}
}

func (t traceHandler) WithGroup(name string) slog.Handler { return traceHandler{t.h.WithGroup(name)} }
