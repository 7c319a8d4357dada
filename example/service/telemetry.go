package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	otelprometheus "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"github.com/tenantgen/tenantgen/example/billing"
	"github.com/tenantgen/tenantgen/runtime"
	"github.com/tenantgen/tenantgen/runtime/oteltenantgen"
)

// Environment variables of the example's telemetry.
const (
	// EnvMetricsAddr is the address where the worker serves /metrics for
	// Prometheus, e.g. 127.0.0.1:9464; unset: not served.
	EnvMetricsAddr = "TENANTGEN_METRICS_ADDR"
	// EnvTraceFile names a file that the worker and the web server append
	// their spans to, as JSON lines; unset: spans are not exported.
	EnvTraceFile = "TENANTGEN_TRACE_FILE"
)

// Telemetry is the OpenTelemetry SDK of one example process: spans to the
// file of EnvTraceFile, metrics for Prometheus, and the tenantgen
// instrumentation. The example shows the whole setup; an application
// would export spans over OTLP instead.
type Telemetry struct {
	tp      *sdktrace.TracerProvider
	mp      *sdkmetric.MeterProvider
	reg     *prometheus.Registry
	tel     *oteltenantgen.Telemetry
	traces  io.Closer // nil without EnvTraceFile
	pools   []*pgxpool.Pool
	closers []func()
}

// NewTelemetry sets up the SDK of the process named name ("worker",
// "web"): always sampled, since the example traces little.
func NewTelemetry(name string) (*Telemetry, error) {
	res := resource.NewSchemaless(semconv.ServiceName("example-" + name))
	t := &Telemetry{reg: prometheus.NewRegistry()}
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if path := os.Getenv(EnvTraceFile); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("telemetry: %w", err)
		}
		exp, err := stdouttrace.New(stdouttrace.WithWriter(f))
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("telemetry: %w", err)
		}
		t.traces = f
		tpOpts = append(tpOpts, sdktrace.WithSyncer(exp))
	}
	t.tp = sdktrace.NewTracerProvider(tpOpts...)
	exp, err := otelprometheus.New(otelprometheus.WithRegisterer(t.reg))
	if err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	t.mp = sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(exp))
	return t, nil
}

// Instrument installs tenantgen's instrumentation in cfg, with every
// example tenant as a metric attribute (three: a bounded set), and moves
// its databases to pools whose statements are traced.
func (t *Telemetry) Instrument(ctx context.Context, s Settings, cfg *runtime.Config) error {
	var ids []string
	for _, tn := range Tenants {
		ids = append(ids, tn.ID)
	}
	t.tel = oteltenantgen.Instrument(cfg,
		oteltenantgen.WithTracerProvider(t.tp), oteltenantgen.WithMeterProvider(t.mp),
		oteltenantgen.WithPropagator(propagation.TraceContext{}),
		oteltenantgen.MetricTenants(ids...))
	cfg.Pools = map[string]*pgxpool.Pool{}
	for _, alias := range slices.Sorted(maps.Keys(cfg.Databases)) {
		pc, err := pgxpool.ParseConfig(cfg.Databases[alias])
		if err != nil {
			return err
		}
		pc.MaxConns = max(pc.MaxConns, int32(s.Concurrency))
		pc.ConnConfig.RuntimeParams["search_path"] = s.SharedSchema() // as the runtime's own pools
		pc.ConnConfig.Tracer = queryTracer{t.tp.Tracer("example/pgx")}
		p, err := pgxpool.NewWithConfig(ctx, pc)
		if err != nil {
			return err
		}
		t.pools = append(t.pools, p)
		cfg.Pools[alias] = p
	}
	cfg.Databases = nil
	return nil
}

// OpenInstrumentedWorker opens the App of a worker as OpenWorker does,
// instrumented by t.
func OpenInstrumentedWorker(ctx context.Context, s Settings, logger *slog.Logger, t *Telemetry) (*runtime.App, error) {
	reg := runtime.NewRegistry()
	if err := billing.RegisterTasks(reg); err != nil {
		return nil, err
	}
	cfg := s.Config(reg, logger)
	if err := t.Instrument(ctx, s, &cfg); err != nil {
		return nil, err
	}
	return runtime.Open(ctx, cfg)
}

// OpenInstrumentedClient opens the App of a process that only enqueues
// as OpenClient does, instrumented by t.
func OpenInstrumentedClient(ctx context.Context, s Settings, logger *slog.Logger, t *Telemetry) (*runtime.App, error) {
	cfg := s.Config(nil, logger)
	if err := t.Instrument(ctx, s, &cfg); err != nil {
		return nil, err
	}
	return runtime.Open(ctx, cfg)
}

// Handler wraps h in a SERVER span per request, the root of the traces
// that the request's enqueues continue.
func (t *Telemetry) Handler(h http.Handler) http.Handler {
	return otelhttp.NewHandler(h, "http", otelhttp.WithTracerProvider(t.tp),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }))
}

// ServeMetrics serves /metrics on addr for Prometheus, with the gauges of
// app's queues, until Shutdown. It returns the address it listens on.
func (t *Telemetry) ServeMetrics(app *runtime.App, addr string) (string, error) {
	reg, err := t.tel.ObserveQueues(app, slices.Sorted(maps.Keys(Queues))...)
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		reg.Unregister()
		return "", err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(t.reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.closers = append(t.closers, func() { srv.Close(); reg.Unregister() })
	return ln.Addr().String(), nil
}

// Shutdown stops serving metrics, flushes the spans and closes the traced
// pools. Call it after the App is closed.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	for _, c := range t.closers {
		c()
	}
	errs := []error{t.tp.Shutdown(ctx), t.mp.Shutdown(ctx)}
	for _, p := range t.pools {
		p.Close()
	}
	if t.traces != nil {
		errs = append(errs, t.traces.Close())
	}
	return errors.Join(errs...)
}
