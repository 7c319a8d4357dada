package oteltenantgen_test

import (
	"context"
	"fmt"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

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
