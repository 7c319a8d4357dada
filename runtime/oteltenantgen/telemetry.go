package oteltenantgen

import (
	"hash/maphash"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/tenantgen/tenantgen/runtime"
)

// ScopeName is the instrumentation scope of the tracer and meter.
const ScopeName = "github.com/tenantgen/tenantgen/runtime/oteltenantgen"

// Telemetry records the traces and metrics of one App. It is a
// runtime.Observer, and its EnqueueMiddleware wraps every enqueue. Make
// one with Instrument or New; it is safe for concurrent use.
type Telemetry struct {
	tracer    trace.Tracer
	prop      propagation.TextMapPropagator
	parentMax int
	meter     metric.Meter
	m         instruments
	tenants   *tenantLabels // nil: the tenant is no metric attribute
	cache     seriesCache
	producers producers
	minScrape time.Duration

	defaultQueue string // of requests that name no queue
}

// settings collect the Options.
type settings struct {
	tp        trace.TracerProvider
	mp        metric.MeterProvider
	prop      propagation.TextMapPropagator
	parentMax int
	allow     []string
	top       int
	window    time.Duration
	minScrape time.Duration
}

// An Option configures a Telemetry.
type Option func(*settings)

// WithTracerProvider records spans with tp. Default otel.GetTracerProvider().
func WithTracerProvider(tp trace.TracerProvider) Option { return func(s *settings) { s.tp = tp } }

// WithMeterProvider records metrics with mp. Default otel.GetMeterProvider().
func WithMeterProvider(mp metric.MeterProvider) Option { return func(s *settings) { s.mp = mp } }

// WithPropagator carries the trace context in task headers with p.
// Default otel.GetTextMapPropagator(), or W3C trace context and baggage if
// that propagates nothing (the global default until an SDK sets one).
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(s *settings) { s.prop = p }
}

// WithParentMax makes the process spans of the tasks of a batch of at most
// n tasks children of the batch's send span, besides linking to it. Tasks
// of larger batches start traces of their own, linked to it. Default 1:
// only a task enqueued alone continues its producer's trace.
func WithParentMax(n int) Option { return func(s *settings) { s.parentMax = n } }

// MetricTenants makes the tenant a metric attribute (tenant) for the
// tenants listed; the tasks of any other tenant are counted as tenant
// "other". Use it for a known, small set: the largest customers, a
// canary.
func MetricTenants(ids ...string) Option {
	return func(s *settings) { s.allow = append(s.allow, ids...) }
}

// MetricTopTenants makes the tenant a metric attribute for the n busiest
// tenants of this process (by tasks enqueued and attempts started, over
// each window of TopTenantsWindow) besides those of MetricTenants; every other tenant is
// "other". Until a window ends, tenants join as they come while there is
// room. The set changes at most once a window; each tenant that was ever
// in it keeps its series in the SDK (bounded by its cardinality limit).
func MetricTopTenants(n int) Option { return func(s *settings) { s.top = n } }

// TopTenantsWindow sets the window over which MetricTopTenants ranks
// tenants. Default 5 minutes.
func TopTenantsWindow(d time.Duration) Option { return func(s *settings) { s.window = d } }

// MinScrapeInterval makes the gauges of ObserveQueues and ObserveOutbox
// read Redis and the database at most once per d, reporting the last
// values in between, however often they are collected. Default 5 seconds.
func MinScrapeInterval(d time.Duration) Option { return func(s *settings) { s.minScrape = d } }

// New returns a Telemetry configured by opts. Errors creating instruments
// go to otel.Handle, as in other OpenTelemetry instrumentation.
func New(opts ...Option) *Telemetry {
	s := settings{parentMax: 1, window: 5 * time.Minute, minScrape: 5 * time.Second}
	for _, o := range opts {
		o(&s)
	}
	if s.tp == nil {
		s.tp = otel.GetTracerProvider()
	}
	if s.mp == nil {
		s.mp = otel.GetMeterProvider()
	}
	if s.prop == nil {
		s.prop = otel.GetTextMapPropagator()
		if len(s.prop.Fields()) == 0 {
			s.prop = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
		}
	}
	t := &Telemetry{
		tracer:    s.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(version), trace.WithSchemaURL(schemaURL)),
		prop:      s.prop,
		parentMax: s.parentMax,
		meter:     s.mp.Meter(ScopeName, metric.WithInstrumentationVersion(version), metric.WithSchemaURL(schemaURL)),
		tenants:   newTenantLabels(s.allow, s.top, s.window),
		minScrape: s.minScrape,

		defaultQueue: "default",
	}
	t.cache.seed = maphash.MakeSeed()
	t.m = newInstruments(t.meter)
	t.registerCounts()
	t.producers.init(t.prop)
	return t
}

// Instrument returns a Telemetry configured by opts and installs it in
// cfg: as cfg.Observer, and last in cfg.EnqueueMiddleware (innermost, so
// that it sees the requests as other middleware left them). Call it before
// runtime.Open.
func Instrument(cfg *runtime.Config, opts ...Option) *Telemetry {
	t := New(opts...)
	if cfg.DefaultQueue != "" {
		t.defaultQueue = cfg.DefaultQueue
	}
	cfg.Observer = t
	cfg.EnqueueMiddleware = append(cfg.EnqueueMiddleware, t.EnqueueMiddleware)
	return t
}

// version is this instrumentation's version, reported with its scope.
const version = "0.1.0"
