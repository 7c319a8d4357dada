package oteltenantgen_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
	"github.com/tenantgen/tenantgen/runtime/oteltenantgen"
)

// TestOutboxGauges checks the outbox gauges against a real outbox table
// that no relay drains: none waiting, then the rows of a committed
// transaction and their age; and that a registration with a long
// MinScrapeInterval keeps reporting its first read.
func TestOutboxGauges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var shared string
	b := setup(t, func(c *runtime.Config) {
		shared = strings.ReplaceAll(c.Prefix, "-", "_") + "_shared"
		c.Databases = map[string]string{"default": testenv.DatabaseURL(t)}
		c.SharedSchema = shared
		c.Outbox.DB = "default"
	}, oteltenantgen.MinScrapeInterval(0))
	pool, _ := b.app.Pool("default")
	t.Cleanup(func() { pool.Exec(ctx, "drop schema if exists "+pgx.Identifier{shared}.Sanitize()+" cascade") })
	if err := b.app.CreateOutboxTable(ctx, ""); err != nil {
		t.Fatal(err)
	}
	task := runtime.NewTask(runtime.TaskSpec{Name: "m.outbox", Public: true}, func(context.Context, runtime.NoArgs) error { return nil })
	b.register(t, task)

	reg, err := b.tel.ObserveOutbox(b.app)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister()
	cachedReader := sdkmetric.NewManualReader()
	cached := oteltenantgen.New(oteltenantgen.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(cachedReader))),
		oteltenantgen.MinScrapeInterval(time.Hour))
	cachedReg, err := cached.ObserveOutbox(b.app)
	if err != nil {
		t.Fatal(err)
	}
	defer cachedReg.Unregister()
	collectCached := func() map[string]float64 {
		t.Helper()
		var rm metricdata.ResourceMetrics
		if err := cachedReader.Collect(ctx, &rm); err != nil {
			t.Fatal(err)
		}
		return points(rm)
	}

	empty := map[string]float64{"tenantgen.outbox.rows{}": 0, "tenantgen.outbox.oldest_age{}": 0}
	for name, got := range map[string]map[string]float64{"fresh": points(b.collect(t)), "cached": collectCached()} {
		for k, want := range empty {
			if v, ok := got[k]; !ok || v != want {
				t.Errorf("%s read of an empty outbox: %s = %v (reported: %t), want %v", name, k, v, ok, want)
			}
		}
	}

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for range 3 {
		if _, err := task.Enqueue(ctx, b.app.Tx(tx), runtime.NoArgs{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var got map[string]float64
	testenv.WaitFor(t, "the outbox's oldest row to age", func() bool {
		got = points(b.collect(t))
		return got["tenantgen.outbox.oldest_age{}"] > 0.002
	})
	if rows := got["tenantgen.outbox.rows{}"]; rows != 3 {
		t.Errorf("tenantgen.outbox.rows = %v, want 3", rows)
	}
	if age := got["tenantgen.outbox.oldest_age{}"]; age > 60 {
		t.Errorf("tenantgen.outbox.oldest_age = %vs, want the seconds since the transaction", age)
	}
	if got := collectCached(); got["tenantgen.outbox.rows{}"] != 0 {
		t.Errorf("tenantgen.outbox.rows within MinScrapeInterval = %v, want the first read's 0", got["tenantgen.outbox.rows{}"])
	}
}
