package oteltenantgen

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/tenantgen/tenantgen/runtime"
)

// QueueReader is what the queue gauges read; *runtime.App is one.
type QueueReader interface {
	Stats(ctx context.Context, queue string) (runtime.QueueStats, error)
	OldestReady(ctx context.Context, queue string) (time.Time, error)
}

// ObserveQueues registers the gauges of queues: tenantgen.queue.depth, the
// tasks of each queue by state (ready, running, scheduled, dead, from
// App.Stats), and tenantgen.queue.oldest_age, how long the oldest ready
// task has waited since it became due (App.OldestReady, a sample of the
// lanes' head tasks), in seconds. Each collection reads Redis at most once
// per MinScrapeInterval: two round trips per queue, whatever the backlog.
// Unregister the returned registration before closing app.
func (t *Telemetry) ObserveQueues(app QueueReader, queues ...string) (metric.Registration, error) {
	depth, err1 := t.meter.Int64ObservableGauge("tenantgen.queue.depth",
		metric.WithDescription("Tasks of a queue, by state: ready, running, scheduled (delayed or waiting for a retry), dead."),
		metric.WithUnit("{task}"))
	age, err2 := t.meter.Float64ObservableGauge("tenantgen.queue.oldest_age",
		metric.WithDescription("How long the oldest ready task of a queue has waited since it became due (0: none ready)."),
		metric.WithUnit("s"))
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	r := &cachedRead[[]queueRead]{every: t.minScrape, read: func(ctx context.Context) ([]queueRead, error) {
		return readQueues(ctx, app, queues)
	}}
	return t.meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		reads, _, err := r.get(ctx)
		for _, q := range reads {
			set := func(state string) metric.ObserveOption {
				return metric.WithAttributes(queueKey.String(q.queue), stateKey.String(state))
			}
			o.ObserveInt64(depth, q.stats.Ready, set("ready"))
			o.ObserveInt64(depth, q.stats.Running, set("running"))
			o.ObserveInt64(depth, q.stats.Scheduled, set("scheduled"))
			o.ObserveInt64(depth, q.stats.Dead, set("dead"))
			wait := 0.0
			if !q.oldest.IsZero() {
				wait = max(time.Since(q.oldest).Seconds(), 0)
			}
			o.ObserveFloat64(age, wait, metric.WithAttributes(queueKey.String(q.queue)))
		}
		return err
	}, depth, age)
}

// queueRead is what one collection read of a queue.
type queueRead struct {
	queue  string
	stats  runtime.QueueStats
	oldest time.Time
}

// readQueues reads the stats and the oldest ready task of queues; on
// errors it returns what it could read.
func readQueues(ctx context.Context, app QueueReader, queues []string) ([]queueRead, error) {
	var reads []queueRead
	var errs []error
	for _, q := range queues {
		st, err := app.Stats(ctx, q)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		oldest, err := app.OldestReady(ctx, q)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		reads = append(reads, queueRead{q, st, oldest})
	}
	return reads, errors.Join(errs...)
}
