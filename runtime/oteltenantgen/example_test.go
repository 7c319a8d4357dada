package oteltenantgen_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tenantgen/tenantgen/runtime"
	"github.com/tenantgen/tenantgen/runtime/oteltenantgen"
)

func ExampleInstrument() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))

	cfg := runtime.Config{ /* RedisURL, Registry, Queues, ... */ }
	oteltenantgen.Instrument(&cfg, oteltenantgen.WithTracerProvider(tp), oteltenantgen.MetricTenants("acme"))
	// runtime.Open(ctx, cfg) would now trace and count every task.

	// What the App's enqueue does with it, here without Redis:
	enqueue := cfg.EnqueueMiddleware[0](func(ctx context.Context, reqs []runtime.Request) ([]runtime.TaskID, error) {
		fmt.Println("headers carry a trace:", reqs[0].Headers["traceparent"] != "")
		return []runtime.TaskID{"task-1"}, nil
	})
	enqueue(context.Background(), []runtime.Request{{Name: "billing.SendInvoice", Queue: "billing", Tenant: "acme"}})

	s := spans.Ended()[0]
	fmt.Println(s.Name(), s.SpanKind())
	fmt.Println("observer set:", cfg.Observer != nil)
	// Output:
	// headers carry a trace: true
	// send billing producer
	// observer set: true
}

func ExampleLogHandler() {
	// Drop the time, so that the output is the same on every run.
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	logger := slog.New(oteltenantgen.LogHandler(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime})))

	// Inside a task, ctx also carries the task: task_id, task, tenant, queue
	// and attempt join the line. Here, a ctx with a span only.
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
	})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	logger.InfoContext(ctx, "invoice sent", "cents", 1200)
	logger.Info("no span, no trace")
	// Output:
	// level=INFO msg="invoice sent" cents=1200 trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7
	// level=INFO msg="no span, no trace"
}
