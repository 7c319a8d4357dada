package service

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// queryTracer is a pgx.QueryTracer that records a CLIENT span per
// statement, following the database semantic conventions: the example's
// own, small, since no maintained OpenTelemetry tracer for pgx is among
// the modules this project uses. Inside a task, the statement's span is a
// child of the task's process span.
type queryTracer struct{ tracer trace.Tracer }

// TraceQueryStart starts the span of a statement.
func (q queryTracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	op, _, _ := strings.Cut(strings.TrimSpace(data.SQL), " ")
	op = strings.ToLower(strings.TrimRight(op, ";"))
	ctx, _ = q.tracer.Start(ctx, op, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		semconv.DBSystemNamePostgreSQL,
		semconv.DBOperationName(op),
		semconv.DBQueryText(data.SQL),
		semconv.DBNamespace(conn.Config().Database),
	))
	return ctx
}

// TraceQueryEnd ends the span of a statement, recording its error.
func (q queryTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	span := trace.SpanFromContext(ctx)
	if data.Err != nil {
		span.RecordError(data.Err)
		span.SetStatus(codes.Error, data.Err.Error())
	}
	span.End()
}
