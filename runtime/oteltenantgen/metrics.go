package oteltenantgen

import (
	"context"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/tenantgen/tenantgen/runtime"
)

// The metric attributes: the keys of the App's log lines.
const (
	queueKey   = attribute.Key("queue")
	taskKey    = attribute.Key("task")
	tenantKey  = attribute.Key("tenant")
	outcomeKey = attribute.Key("outcome")
	stateKey   = attribute.Key("state")
)

// durationBuckets are the histogram boundaries, in seconds: those the
// semantic conventions advise for messaging durations, extended to an hour
// for long tasks and long waits.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 300, 900, 3600}

// instruments are the instruments of a Telemetry. The counters are
// observable: a task adds to its series' counts (an atomic addition, where
// a synchronous counter's Add costs the SDK an attribute lookup and an
// aggregation), and a collection reports them all. Sums are sums: what is
// exported is the same. The histograms are synchronous, as OpenTelemetry
// has no other.
type instruments struct {
	enqueued, started, succeeded, failed, retried, dead, requeued metric.Int64ObservableCounter
	duration, latency                                             metric.Float64Histogram
}

func newInstruments(m metric.Meter) instruments {
	counter := func(name, desc string) metric.Int64ObservableCounter {
		c, err := m.Int64ObservableCounter(name, metric.WithDescription(desc), metric.WithUnit("{task}"))
		if err != nil {
			otel.Handle(err)
		}
		return c
	}
	histogram := func(name, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithDescription(desc), metric.WithUnit("s"),
			metric.WithExplicitBucketBoundaries(durationBuckets...))
		if err != nil {
			otel.Handle(err)
		}
		return h
	}
	return instruments{
		enqueued:  counter("tenantgen.tasks.enqueued", "Tasks enqueued (duplicates of unique tasks and refused requests left out)."),
		started:   counter("tenantgen.tasks.started", "Attempts started."),
		succeeded: counter("tenantgen.tasks.succeeded", "Attempts that succeeded."),
		failed:    counter("tenantgen.tasks.failed", "Attempts that failed, by what followed (outcome retried or dead)."),
		retried:   counter("tenantgen.tasks.retried", "Failed attempts whose task will run again after a backoff."),
		dead:      counter("tenantgen.tasks.dead_lettered", "Tasks moved to the dead letter set, after failing or without running."),
		requeued:  counter("tenantgen.tasks.requeued", "Tasks handed back to their queue without spending a retry: at shutdown, or fetched ahead and not started in time."),
		duration:  histogram("tenantgen.task.duration", "How long attempts ran, by outcome."),
		latency:   histogram("tenantgen.task.start_latency", "How long tasks waited between becoming due and starting."),
	}
}

// registerCounts reports the counts of every series to the counters at
// each collection. The MeterProvider calls it for as long as it lives,
// as long as t.
func (t *Telemetry) registerCounts() {
	m := t.m
	_, err := t.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		t.cache.m.Range(func(_, v any) bool {
			se := v.(*series)
			observe := func(c metric.Int64ObservableCounter, n *atomic.Int64, opts attrOpts) {
				// Only the series counted: a synchronous counter has no
				// point before its first Add either.
				if v := n.Load(); v > 0 {
					o.ObserveInt64(c, v, opts.observe...)
				}
			}
			observe(m.enqueued, &se.n.enqueued, se.plain)
			observe(m.started, &se.n.started, se.plain)
			observe(m.succeeded, &se.n.succeeded, se.plain)
			observe(m.retried, &se.n.retried, se.plain)
			observe(m.dead, &se.n.dead, se.plain)
			observe(m.requeued, &se.n.requeued, se.plain)
			for i := range outcomes {
				observe(m.failed, &se.n.failed[i], se.outcome[i])
			}
			return true
		})
		return nil
	}, m.enqueued, m.started, m.succeeded, m.failed, m.retried, m.dead, m.requeued)
	if err != nil {
		otel.Handle(err)
	}
}

// countEnqueued counts the requests of a batch that were enqueued: those
// with an ID and no error of their own.
func (t *Telemetry) countEnqueued(ctx context.Context, reqs []runtime.Request, ids []runtime.TaskID, err error) {
	if len(ids) != len(reqs) {
		return // nothing enqueued, or an outcome unknown
	}
	var failed map[int]bool
	if be, ok := err.(*runtime.BatchError); ok {
		failed = make(map[int]bool, len(be.Errs))
		for _, e := range be.Errs {
			failed[e.Index] = true
		}
	} else if err != nil {
		return
	}
	// The series of the previous request, and its tenant: the requests of
	// a batch are often alike.
	var se *series
	tenant := ""
	for i, r := range reqs {
		if ids[i] == "" || failed[i] {
			continue
		}
		if t.tenants != nil {
			t.tenants.seen(r.Tenant) // a process that only enqueues ranks its tenants too
		}
		if q := t.queueOf(r); se == nil || se.key.queue != q || se.key.task != r.Name || r.Tenant != tenant {
			se, tenant = t.series(q, r.Name, r.Tenant), r.Tenant
		}
		se.n.enqueued.Add(1)
	}
}

// countStarted counts an attempt's start, and returns its series.
func (t *Telemetry) countStarted(job *runtime.Job) *series {
	if t.tenants != nil {
		t.tenants.seen(job.Tenant)
	}
	se := t.series(job.Queue, job.Name, job.Tenant)
	se.n.started.Add(1)
	return se
}

// countSettled counts a settlement, and records the duration and start
// latency of an attempt that ran. It returns the series of its task.
func (t *Telemetry) countSettled(ctx context.Context, s runtime.Settlement) *series {
	task, tenant := "", ""
	if s.Job != nil {
		task, tenant = s.Job.Name, s.Job.Tenant
	}
	se := t.series(s.Queue, task, tenant)
	// The histograms first: a reader that sees the outcome counted sees
	// its duration too.
	if s.Ran {
		t.m.duration.Record(ctx, s.Duration.Seconds(), se.withOutcome(s.Outcome).record...)
		t.m.latency.Record(ctx, s.StartLatency().Seconds(), se.plain.record...)
	}
	switch s.Outcome {
	case runtime.OutcomeSucceeded:
		se.n.succeeded.Add(1)
	case runtime.OutcomeRetried:
		se.n.retried.Add(1)
	case runtime.OutcomeDeadLettered:
		se.n.dead.Add(1)
	case runtime.OutcomeRequeued:
		se.n.requeued.Add(1)
	}
	if s.Ran && (s.Outcome == runtime.OutcomeRetried || s.Outcome == runtime.OutcomeDeadLettered) {
		se.n.failed[outcomeIndex(s.Outcome)].Add(1)
	}
	return se
}
