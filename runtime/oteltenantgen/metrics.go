package oteltenantgen

import (
	"context"
	"slices"
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

// seriesKey identifies the series of one queue, task and tenant label.
type seriesKey struct {
	queue, task, tenant string
}

// seriesCache keeps, for each seriesKey, what measuring a task of it
// takes: the attribute sets as the option slices that instruments take,
// and the name of its process span. One lookup per attempt start and one
// per settlement then allocate nothing of this package's once a key was
// seen. Its size is the metrics' cardinality, which the tenant labels
// bound.
type seriesCache struct{ m sync.Map }

// series is what measuring the tasks of one seriesKey takes.
type series struct {
	span    string   // the process span's name
	plain   attrOpts // queue, task and, with tenant labels, tenant
	outcome [len(outcomes)]attrOpts
}

// outcomes are the outcomes that a series has attribute sets for, by
// outcomeIndex.
var outcomes = [...]runtime.Outcome{
	runtime.OutcomeSucceeded, runtime.OutcomeRetried, runtime.OutcomeDeadLettered, runtime.OutcomeRequeued,
}

// outcomeIndex returns the index of o in outcomes, or -1.
func outcomeIndex(o runtime.Outcome) int {
	switch o {
	case runtime.OutcomeSucceeded:
		return 0
	case runtime.OutcomeRetried:
		return 1
	case runtime.OutcomeDeadLettered:
		return 2
	case runtime.OutcomeRequeued:
		return 3
	}
	return -1
}

// attrOpts are the options of one attribute set, for counters and for
// histograms.
type attrOpts struct {
	add    []metric.AddOption
	record []metric.RecordOption
}

func newAttrOpts(kvs ...attribute.KeyValue) attrOpts {
	opt := metric.WithAttributeSet(attribute.NewSet(kvs...))
	return attrOpts{add: []metric.AddOption{opt}, record: []metric.RecordOption{opt}}
}

// withOutcome returns the attribute options of s with outcome o.
func (s *series) withOutcome(o runtime.Outcome) attrOpts {
	if i := outcomeIndex(o); i >= 0 {
		return s.outcome[i]
	}
	return s.plain // an outcome of a later runtime: counted without it
}

func (c *seriesCache) get(k seriesKey, tenant bool) *series {
	if v, ok := c.m.Load(k); ok {
		return v.(*series)
	}
	kvs := make([]attribute.KeyValue, 0, 4)
	kvs = append(kvs, queueKey.String(k.queue), taskKey.String(k.task))
	if tenant {
		kvs = append(kvs, tenantKey.String(k.tenant))
	}
	// Copies: attribute.NewSet sorts the slice it is given.
	s := &series{span: "process " + k.queue, plain: newAttrOpts(slices.Clone(kvs)...)}
	for i, o := range outcomes {
		s.outcome[i] = newAttrOpts(append(slices.Clone(kvs), outcomeKey.String(string(o)))...)
	}
	v, _ := c.m.LoadOrStore(k, s)
	return v.(*series)
}

// series returns the series of a task of queue, task and tenant.
func (t *Telemetry) series(queue, task, tenant string) *series {
	label := ""
	if t.tenants != nil {
		label = t.tenants.label(tenant)
	}
	return t.cache.get(seriesKey{queue, task, label}, t.tenants != nil)
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
			t.m.enqueued.Add(noExemplar, 1, t.series(t.queueOf(r), r.Name, r.Tenant).plain.add...)
		}
	}
}

// countStarted counts an attempt's start, and returns its series.
func (t *Telemetry) countStarted(job *runtime.Job) *series {
	if t.tenants != nil {
		t.tenants.seen(job.Tenant)
	}
	se := t.series(job.Queue, job.Name, job.Tenant)
	t.m.started.Add(noExemplar, 1, se.plain.add...)
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
		t.m.succeeded.Add(noExemplar, 1, se.plain.add...)
	case runtime.OutcomeRetried:
		t.m.retried.Add(noExemplar, 1, se.plain.add...)
		if s.Ran {
			t.m.failed.Add(noExemplar, 1, se.withOutcome(s.Outcome).add...)
		}
	case runtime.OutcomeDeadLettered:
		t.m.dead.Add(noExemplar, 1, se.plain.add...)
		if s.Ran {
			t.m.failed.Add(noExemplar, 1, se.withOutcome(s.Outcome).add...)
		}
	case runtime.OutcomeRequeued:
		t.m.requeued.Add(noExemplar, 1, se.plain.add...)
	}
	return se
}
