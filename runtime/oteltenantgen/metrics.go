package oteltenantgen

import (
	"context"
	"sync"

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

// instruments are the synchronous instruments of a Telemetry.
type instruments struct {
	enqueued, started, succeeded, failed, retried, dead, requeued metric.Int64Counter
	duration, latency                                             metric.Float64Histogram
}

func newInstruments(m metric.Meter) instruments {
	counter := func(name, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithDescription(desc), metric.WithUnit("{task}"))
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
		requeued:  counter("tenantgen.tasks.requeued", "Tasks handed back to their queue at shutdown."),
		duration:  histogram("tenantgen.task.duration", "How long attempts ran, by outcome."),
		latency:   histogram("tenantgen.task.start_latency", "How long tasks waited between becoming due and starting."),
	}
}

// noExemplar is the ctx that counters record with. With the SDK's default
// exemplar filter a measurement made with a sampled span's ctx is offered
// to an exemplar reservoir, which costs a counter more than its addition:
// exemplars of the duration and latency histograms (recorded with the
// attempt's ctx) link metrics to traces, those of counters add little.
var noExemplar = context.Background()

// attrKey identifies one attribute set.
type attrKey struct {
	queue, task, tenant, outcome string
}

// attrCache keeps the attributes of each attrKey, as the option slices
// that instruments take, so that recording a measurement allocates
// nothing of this package's once its attributes were seen. Its size is
// the metrics' cardinality, which the tenant labels bound.
type attrCache struct{ m sync.Map }

// attrOpts are the options of one attribute set, for counters and for
// histograms.
type attrOpts struct {
	add    []metric.AddOption
	record []metric.RecordOption
}

func (c *attrCache) get(k attrKey, tenant bool) *attrOpts {
	if v, ok := c.m.Load(k); ok {
		return v.(*attrOpts)
	}
	kvs := make([]attribute.KeyValue, 0, 4)
	kvs = append(kvs, queueKey.String(k.queue), taskKey.String(k.task))
	if tenant {
		kvs = append(kvs, tenantKey.String(k.tenant))
	}
	if k.outcome != "" {
		kvs = append(kvs, outcomeKey.String(k.outcome))
	}
	opt := metric.WithAttributeSet(attribute.NewSet(kvs...))
	v, _ := c.m.LoadOrStore(k, &attrOpts{add: []metric.AddOption{opt}, record: []metric.RecordOption{opt}})
	return v.(*attrOpts)
}

// attrs returns the attributes of a task of queue, task and tenant, with
// outcome ("" for none).
func (t *Telemetry) attrs(queue, task, tenant, outcome string) *attrOpts {
	label := ""
	if t.tenants != nil {
		label = t.tenants.label(tenant)
	}
	return t.cache.get(attrKey{queue, task, label, outcome}, t.tenants != nil)
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
	for i, r := range reqs {
		if ids[i] != "" && !failed[i] {
			if t.tenants != nil {
				t.tenants.seen(r.Tenant) // a process that only enqueues ranks its tenants too
			}
			t.m.enqueued.Add(noExemplar, 1, t.attrs(t.queueOf(r), r.Name, r.Tenant, "").add...)
		}
	}
}

// countStarted counts an attempt's start.
func (t *Telemetry) countStarted(ctx context.Context, job *runtime.Job) {
	if t.tenants != nil {
		t.tenants.seen(job.Tenant)
	}
	t.m.started.Add(noExemplar, 1, t.attrs(job.Queue, job.Name, job.Tenant, "").add...)
}

// countSettled counts a settlement, and records the duration and start
// latency of an attempt that ran.
func (t *Telemetry) countSettled(ctx context.Context, s runtime.Settlement) {
	task, tenant := "", ""
	if s.Job != nil {
		task, tenant = s.Job.Name, s.Job.Tenant
	}
	plain := t.attrs(s.Queue, task, tenant, "")
	// The histograms first: a reader that sees the outcome counted sees
	// its duration too.
	if s.Ran {
		t.m.duration.Record(ctx, s.Duration.Seconds(), t.attrs(s.Queue, task, tenant, string(s.Outcome)).record...)
		t.m.latency.Record(ctx, s.StartLatency().Seconds(), plain.record...)
	}
	switch s.Outcome {
	case runtime.OutcomeSucceeded:
		t.m.succeeded.Add(noExemplar, 1, plain.add...)
	case runtime.OutcomeRetried:
		t.m.retried.Add(noExemplar, 1, plain.add...)
		if s.Ran {
			t.m.failed.Add(noExemplar, 1, t.attrs(s.Queue, task, tenant, string(s.Outcome)).add...)
		}
	case runtime.OutcomeDeadLettered:
		t.m.dead.Add(noExemplar, 1, plain.add...)
		if s.Ran {
			t.m.failed.Add(noExemplar, 1, t.attrs(s.Queue, task, tenant, string(s.Outcome)).add...)
		}
	case runtime.OutcomeRequeued:
		t.m.requeued.Add(noExemplar, 1, plain.add...)
	}
}
