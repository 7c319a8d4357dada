package oteltenantgen_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
	"github.com/tenantgen/tenantgen/runtime/oteltenantgen"
)

// bundle is an instrumented App on a key prefix of its own, with the SDK's
// in-memory span recorder and a manual metric reader.
type bundle struct {
	app    *runtime.App
	reg    *runtime.Registry
	tel    *oteltenantgen.Telemetry
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	tp     *sdktrace.TracerProvider
}

// setup opens an instrumented App with opts on a fresh prefix of the test
// Redis; its keys are deleted when the test ends.
func setup(t testing.TB, mod func(*runtime.Config), opts ...oteltenantgen.Option) *bundle {
	t.Helper()
	rdb := testenv.Redis(t)
	prefix := testenv.KeyPrefix(t, rdb, "test")
	b := &bundle{reg: runtime.NewRegistry(), spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	b.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(b.reader))
	cfg := runtime.Config{
		Redis:     rdb,
		Prefix:    prefix,
		Registry:  b.reg,
		Backoff:   func(int) time.Duration { return time.Millisecond },
		Heartbeat: 100 * time.Millisecond,
		WorkerTTL: 500 * time.Millisecond,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if mod != nil {
		mod(&cfg)
	}
	b.tel = oteltenantgen.Instrument(&cfg, append([]oteltenantgen.Option{
		oteltenantgen.WithTracerProvider(b.tp), oteltenantgen.WithMeterProvider(mp),
	}, opts...)...)
	app, err := runtime.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	b.app = app
	return b
}

// run runs a worker until the test ends.
func (b *bundle) run(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { b.app.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// register registers tasks.
func (b *bundle) register(t testing.TB, tasks ...runtime.Definition) {
	t.Helper()
	for _, task := range tasks {
		if err := b.reg.Register(task); err != nil {
			t.Fatal(err)
		}
	}
}

// ended returns the ended spans named name.
func (b *bundle) ended(name string) []sdktrace.ReadOnlySpan {
	var list []sdktrace.ReadOnlySpan
	for _, s := range b.spans.Ended() {
		if s.Name() == name {
			list = append(list, s)
		}
	}
	return list
}

// waitSpans waits until n spans named name have ended, and returns them.
func (b *bundle) waitSpans(t testing.TB, name string, n int) []sdktrace.ReadOnlySpan {
	t.Helper()
	testenv.WaitFor(t, name+" spans", func() bool { return len(b.ended(name)) >= n })
	return b.ended(name)
}

// collect returns the metrics collected now.
func (b *bundle) collect(t testing.TB) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := b.reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	return rm
}

// attrsOf returns the attributes of s as a map.
func attrsOf(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}
