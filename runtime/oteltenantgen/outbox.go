package oteltenantgen

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/tenantgen/tenantgen/runtime"
)

// OutboxReader is what the outbox gauges read; *runtime.App is one.
type OutboxReader interface {
	OutboxStats(ctx context.Context) (runtime.OutboxStats, error)
}

// ObserveOutbox registers the gauges of the outbox of transactional
// enqueues (App.OutboxStats): tenantgen.outbox.rows, the tasks waiting to
// be relayed to Redis (counted up to 100,000), and
// tenantgen.outbox.oldest_age, how long ago the transaction that wrote the
// oldest of them began, in seconds. The age is the signal: it grows when no relay runs
// or relays cannot reach Redis. Each collection reads the database at most
// once per MinScrapeInterval, one cheap query; collections in between
// report the last rows and the last age plus the time since. Unregister
// the returned registration before closing app.
func (t *Telemetry) ObserveOutbox(app OutboxReader) (metric.Registration, error) {
	rows, err1 := t.meter.Int64ObservableGauge("tenantgen.outbox.rows",
		metric.WithDescription("Tasks waiting in the outbox to be relayed to Redis, counted up to 100,000."),
		metric.WithUnit("{task}"))
	age, err2 := t.meter.Float64ObservableGauge("tenantgen.outbox.oldest_age",
		metric.WithDescription("How long ago the transaction that wrote the oldest task waiting in the outbox began (0: none waits)."),
		metric.WithUnit("s"))
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	r := &cachedRead[runtime.OutboxStats]{every: t.minScrape, read: app.OutboxStats}
	return t.meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		st, at, err := r.get(ctx)
		if err != nil {
			return err
		}
		o.ObserveInt64(rows, st.Rows)
		wait := 0.0
		if st.Rows > 0 {
			// A cached age grows as the wall clock does: the row waits on.
			wait = (st.OldestAge + time.Since(at)).Seconds()
		}
		o.ObserveFloat64(age, wait)
		return nil
	}, rows, age)
}
