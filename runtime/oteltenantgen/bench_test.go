package oteltenantgen_test

// BenchmarkTelemetry measures what tracing and metrics cost a worker:
// each op is one task, enqueued in batches of 100 while a worker with 16
// handlers works them, the timer covering both. "on" records every span
// and metric with the SDK (always sampled, nothing exported: a span
// processor-less TracerProvider and a ManualReader never collected);
// "exported" is "on" with what a deployment runs, a batch span processor,
// whose exporter discards the spans; "sampled" is "exported" with a
// ParentBased(TraceIDRatioBased(0.1))
// sampler, as a production deployment would run it; "off" leaves
// Config.Observer and EnqueueMiddleware unset. Workloads: noop, a task
// that does nothing for one tenant; tenant, tasks for 50 tenants that each
// make one PostgreSQL round trip. Besides tasks/s it reports cpu-us/task,
// the CPU time of the benchmark's process (worker and enqueuer; not Redis,
// not PostgreSQL) per task, which other load on the machine disturbs less,
// and redis-calls/task, the round trips to Redis (commands and pipelines,
// the enqueuer's and the worker's) per task: telemetry that slows the
// handlers changes how the worker batches its fetches and acks.
//
//	go test -run '^$' -bench Telemetry -benchtime 20000x -count 5 ./runtime/oteltenantgen/

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
	"github.com/tenantgen/tenantgen/runtime/oteltenantgen"
)

func BenchmarkTelemetry(b *testing.B) {
	for _, workload := range []string{"noop", "tenant"} {
		for _, mode := range []string{"off", "on", "exported", "sampled"} {
			b.Run(fmt.Sprintf("workload=%s/telemetry=%s", workload, mode), func(b *testing.B) { benchTelemetry(b, workload, mode) })
		}
	}
}

func benchTelemetry(b *testing.B, workload, mode string) {
	rdb := testenv.Redis(b)
	var calls roundTrips
	rdb.AddHook(&calls)
	prefix := testenv.KeyPrefix(b, rdb, "bench")
	reg := runtime.NewRegistry()
	cfg := runtime.Config{
		Redis: rdb, Prefix: prefix, Registry: reg, Concurrency: 16,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if mode != "off" {
		topts := []sdktrace.TracerProviderOption{sdktrace.WithSampler(sdktrace.AlwaysSample())}
		if mode == "sampled" {
			topts[0] = sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.1)))
		}
		if mode != "on" {
			topts = append(topts, sdktrace.WithBatcher(discard{}))
		}
		tp := sdktrace.NewTracerProvider(topts...)
		b.Cleanup(func() { tp.Shutdown(context.Background()) })
		oteltenantgen.Instrument(&cfg,
			oteltenantgen.WithTracerProvider(tp),
			oteltenantgen.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))))
	}
	var ran atomic.Int64
	done := make(chan struct{})
	n := int64(b.N)
	count := func() {
		if ran.Add(1) == n {
			close(done)
		}
	}
	tenants := 1
	var fn func(context.Context, runtime.NoArgs) error
	switch workload {
	case "noop":
		fn = func(context.Context, runtime.NoArgs) error { count(); return nil }
	case "tenant":
		pool := testenv.Postgres(b)
		tenants = 50
		fn = func(ctx context.Context, _ runtime.NoArgs) error {
			job, _ := runtime.JobFrom(ctx)
			var s string
			if err := pool.QueryRow(ctx, "select $1::text", job.Tenant).Scan(&s); err != nil {
				return err
			}
			count()
			return nil
		}
	}
	task := runtime.NewTask(runtime.TaskSpec{Name: "bench.telemetry"}, fn)
	if err := reg.Register(task); err != nil {
		b.Fatal(err)
	}
	app, err := runtime.Open(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	reqs := make([]runtime.Request, 100)
	for i := range reqs {
		req, err := task.NewRequest(runtime.WithTenant(b.Context(), fmt.Sprintf("t%d", i%tenants)), runtime.NoArgs{})
		if err != nil {
			b.Fatal(err)
		}
		reqs[i] = req
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { app.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	testenv.WaitFor(b, "worker to start", func() bool {
		n, err := rdb.Exists(b.Context(), prefix+":{default}:s").Result()
		return err == nil && n == 1
	})
	b.ReportAllocs()
	cpu0 := cpuTime()
	calls0 := calls.n.Load()
	b.ResetTimer()
	for sent := 0; sent < b.N; sent += len(reqs) {
		if _, err := app.EnqueueMany(b.Context(), reqs[:min(len(reqs), b.N-sent)]); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(5*time.Minute + time.Duration(b.N)*time.Millisecond):
		b.Fatalf("only %d of %d tasks ran", ran.Load(), b.N)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/task")
	b.ReportMetric(float64(calls.n.Load()-calls0)/float64(b.N), "redis-calls/task")
}

// roundTrips is a Redis hook that counts a client's round trips.
type roundTrips struct{ n atomic.Int64 }

func (*roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmds)
	}
}

// discard is a span exporter that drops what it is given.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// BenchmarkSDKFloor measures what the OpenTelemetry SDK itself costs per
// task for the telemetry that BenchmarkTelemetry's "on" arm records, with
// no tenantgen code: the process span started with its kind and a link
// to the send span, its nine attributes set and ended, and the two
// histogram measurements with attribute sets built beforehand, under the
// span's context (so that the SDK offers them as exemplars, as it does
// the instrumentation's). It is the floor of what "on" can cost over
// "off". The parts: span, the span alone; metrics, the measurements
// alone (noexemplar: under a context without a span). Each runs from one
// goroutine (serial) and from 16 (parallel), as the worker's handlers do,
// to show what the SDK's shared state costs when contended.
//
//	go test -run '^$' -bench SDKFloor -benchmem ./runtime/oteltenantgen/
func BenchmarkSDKFloor(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	defer tp.Shutdown(context.Background())
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tracer := tp.Tracer("floor")
	meter := mp.Meter("floor")
	buckets := metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 300, 900, 3600)
	duration, _ := meter.Float64Histogram("duration", metric.WithUnit("s"), buckets)
	latency, _ := meter.Float64Histogram("latency", metric.WithUnit("s"), buckets)
	base := []attribute.KeyValue{attribute.String("queue", "default"), attribute.String("task", "bench.telemetry")}
	// Slices built once, as the instrumentation's: options given one by
	// one would cost a slice a measurement.
	plain := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(base...))}
	outcome := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(append(base, attribute.String("outcome", "succeeded"))...))}
	_, send := tracer.Start(context.Background(), "send default")
	opts := []trace.SpanStartOption{
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithLinks(trace.Link{SpanContext: send.SpanContext()}),
	}
	send.End()
	// Built once: the instrumentation builds them in a pooled slice, and
	// SetAttributes copies what it is given.
	attrs := []attribute.KeyValue{
		attribute.String("messaging.system", "tenantgen"), attribute.String("messaging.operation.type", "process"),
		attribute.String("messaging.operation.name", "process"), attribute.String("messaging.destination.name", "default"),
		attribute.String("messaging.message.id", "01JXYZABCDEFGHJKMNPQRSTVWX"), attribute.String("tenantgen.task", "bench.telemetry"),
		attribute.Int("tenantgen.attempt", 1), attribute.String("tenantgen.outcome", "succeeded"),
		attribute.String("tenantgen.tenant", "t1"),
	}
	span := func() context.Context {
		ctx, span := tracer.Start(context.Background(), "process default", opts...)
		span.SetAttributes(attrs...)
		span.End()
		return ctx
	}
	record := func(ctx context.Context) {
		duration.Record(ctx, 0.0001, outcome...)
		latency.Record(ctx, 0.002, plain...)
	}
	_, sampled := tracer.Start(context.Background(), "exemplar")
	sampledCtx := trace.ContextWithSpan(context.Background(), sampled)
	parts := []struct {
		name string
		task func()
	}{
		{"task", func() { record(span()) }},
		{"span", func() { span() }},
		{"metrics", func() { record(sampledCtx) }},
		{"metrics-noexemplar", func() { record(context.Background()) }},
	}
	for _, part := range parts {
		b.Run(part.name+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				part.task()
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
		b.Run(part.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(8) // 16 goroutines on 2 cores
			cpu0 := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					part.task()
				}
			})
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
