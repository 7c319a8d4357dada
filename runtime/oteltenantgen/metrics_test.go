package oteltenantgen_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
	"github.com/tenantgen/tenantgen/runtime/oteltenantgen"
)

// points flattens rm into "name{k=v,...}" → value: the sum of a counter,
// the count of a histogram, the value of a gauge.
func points(rm metricdata.ResourceMetrics) map[string]float64 {
	out := map[string]float64{}
	key := func(name string, set attribute.Set) string {
		var kv []string
		for _, a := range set.ToSlice() {
			kv = append(kv, string(a.Key)+"="+a.Value.String())
		}
		slices.Sort(kv)
		return name + "{" + strings.Join(kv, ",") + "}"
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out[key(m.Name, p.Attributes)] = float64(p.Value)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					out[key(m.Name, p.Attributes)] = float64(p.Count)
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					out[key(m.Name, p.Attributes)] = float64(p.Value)
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					out[key(m.Name, p.Attributes)] = p.Value
				}
			}
		}
	}
	return out
}

// TestMetricsOutcomes runs a known mix of outcomes for three tenants, with
// the tenant attribute allowed for acme only, and checks every counter and
// the histograms' counts.
func TestMetricsOutcomes(t *testing.T) {
	t.Parallel()
	b := setup(t, nil, oteltenantgen.MetricTenants("acme"))
	var mu sync.Mutex
	flaky := 0
	ok := runtime.NewTask(runtime.TaskSpec{Name: "m.ok"}, func(context.Context, runtime.NoArgs) error { return nil })
	tasks := []*runtime.Task[runtime.NoArgs]{
		ok,
		runtime.NewTask(runtime.TaskSpec{Name: "m.flaky", Retries: 3}, func(context.Context, runtime.NoArgs) error {
			mu.Lock()
			defer mu.Unlock()
			if flaky++; flaky == 1 {
				return errors.New("once")
			}
			return nil
		}),
		runtime.NewTask(runtime.TaskSpec{Name: "m.broken"}, func(context.Context, runtime.NoArgs) error {
			return runtime.Permanent(errors.New("no"))
		}),
		runtime.NewTask(runtime.TaskSpec{Name: "m.late"}, func(context.Context, runtime.NoArgs) error { return nil }),
	}
	for _, task := range tasks {
		b.register(t, task)
	}
	enqueue := func(task *runtime.Task[runtime.NoArgs], tenant string, opts ...runtime.EnqueueOption) {
		t.Helper()
		if _, err := task.Enqueue(runtime.WithTenant(t.Context(), tenant), b.app, runtime.NoArgs{}, opts...); err != nil {
			t.Fatal(err)
		}
	}
	enqueue(ok, "acme")
	enqueue(ok, "acme")
	enqueue(ok, "globex")
	enqueue(ok, "initech")
	enqueue(tasks[1], "acme")
	enqueue(tasks[2], "globex")
	enqueue(tasks[3], "acme", runtime.Deadline(time.Now().Add(-time.Second)))
	// A duplicate counts as no enqueue.
	if _, err := ok.Enqueue(runtime.WithTenant(t.Context(), "acme"), b.app, runtime.NoArgs{}, runtime.UniqueKey("k", time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := ok.Enqueue(runtime.WithTenant(t.Context(), "acme"), b.app, runtime.NoArgs{}, runtime.UniqueKey("k", time.Minute)); !errors.Is(err, runtime.ErrDuplicate) {
		t.Fatalf("second unique enqueue: %v, want ErrDuplicate", err)
	}
	b.run(t)

	var got map[string]float64
	testenv.WaitFor(t, "every task settled", func() bool {
		got = points(b.collect(t))
		return got["tenantgen.tasks.succeeded{queue=default,task=m.ok,tenant=acme}"] == 3 &&
			got["tenantgen.tasks.succeeded{queue=default,task=m.flaky,tenant=acme}"] == 1 &&
			got["tenantgen.tasks.dead_lettered{queue=default,task=m.broken,tenant=other}"] == 1 &&
			got["tenantgen.tasks.dead_lettered{queue=default,task=m.late,tenant=acme}"] == 1 &&
			got["tenantgen.tasks.succeeded{queue=default,task=m.ok,tenant=other}"] == 2
	})
	want := map[string]float64{
		"tenantgen.tasks.enqueued{queue=default,task=m.ok,tenant=acme}":                     3,
		"tenantgen.tasks.enqueued{queue=default,task=m.ok,tenant=other}":                    2,
		"tenantgen.tasks.enqueued{queue=default,task=m.flaky,tenant=acme}":                  1,
		"tenantgen.tasks.enqueued{queue=default,task=m.broken,tenant=other}":                1,
		"tenantgen.tasks.enqueued{queue=default,task=m.late,tenant=acme}":                   1,
		"tenantgen.tasks.started{queue=default,task=m.ok,tenant=acme}":                      3,
		"tenantgen.tasks.started{queue=default,task=m.ok,tenant=other}":                     2,
		"tenantgen.tasks.started{queue=default,task=m.flaky,tenant=acme}":                   2,
		"tenantgen.tasks.started{queue=default,task=m.broken,tenant=other}":                 1,
		"tenantgen.tasks.succeeded{queue=default,task=m.ok,tenant=acme}":                    3,
		"tenantgen.tasks.succeeded{queue=default,task=m.ok,tenant=other}":                   2,
		"tenantgen.tasks.succeeded{queue=default,task=m.flaky,tenant=acme}":                 1,
		"tenantgen.tasks.retried{queue=default,task=m.flaky,tenant=acme}":                   1,
		"tenantgen.tasks.failed{outcome=retried,queue=default,task=m.flaky,tenant=acme}":    1,
		"tenantgen.tasks.failed{outcome=dead,queue=default,task=m.broken,tenant=other}":     1,
		"tenantgen.tasks.dead_lettered{queue=default,task=m.broken,tenant=other}":           1,
		"tenantgen.tasks.dead_lettered{queue=default,task=m.late,tenant=acme}":              1,
		"tenantgen.task.duration{outcome=succeeded,queue=default,task=m.ok,tenant=acme}":    3,
		"tenantgen.task.duration{outcome=succeeded,queue=default,task=m.ok,tenant=other}":   2,
		"tenantgen.task.duration{outcome=retried,queue=default,task=m.flaky,tenant=acme}":   1,
		"tenantgen.task.duration{outcome=succeeded,queue=default,task=m.flaky,tenant=acme}": 1,
		"tenantgen.task.duration{outcome=dead,queue=default,task=m.broken,tenant=other}":    1,
		"tenantgen.task.start_latency{queue=default,task=m.ok,tenant=acme}":                 3,
		"tenantgen.task.start_latency{queue=default,task=m.ok,tenant=other}":                2,
		"tenantgen.task.start_latency{queue=default,task=m.flaky,tenant=acme}":              2,
		"tenantgen.task.start_latency{queue=default,task=m.broken,tenant=other}":            1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}

// TestMetricsNoTenantByDefault checks that without MetricTenants or
// MetricTopTenants no metric has a tenant attribute.
func TestMetricsNoTenantByDefault(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	task := runtime.NewTask(runtime.TaskSpec{Name: "m.plain"}, func(context.Context, runtime.NoArgs) error { return nil })
	b.register(t, task)
	b.run(t)
	for _, tenant := range []string{"acme", "globex"} {
		if _, err := task.Enqueue(runtime.WithTenant(t.Context(), tenant), b.app, runtime.NoArgs{}); err != nil {
			t.Fatal(err)
		}
	}
	var got map[string]float64
	testenv.WaitFor(t, "both tasks", func() bool {
		got = points(b.collect(t))
		return got["tenantgen.tasks.succeeded{queue=default,task=m.plain}"] == 2
	})
	for k := range got {
		if strings.Contains(k, "tenant=") {
			t.Errorf("metric %s has a tenant attribute", k)
		}
	}
}

// TestMetricsTopTenantsCapped checks that MetricTopTenants names at most n
// tenants and counts the others as "other".
func TestMetricsTopTenantsCapped(t *testing.T) {
	t.Parallel()
	b := setup(t, nil, oteltenantgen.MetricTopTenants(2))
	task := runtime.NewTask(runtime.TaskSpec{Name: "m.top"}, func(context.Context, runtime.NoArgs) error { return nil })
	b.register(t, task)
	b.run(t)
	const tenants = 6
	for i := range tenants {
		if _, err := task.Enqueue(runtime.WithTenant(t.Context(), fmt.Sprintf("t%d", i)), b.app, runtime.NoArgs{}); err != nil {
			t.Fatal(err)
		}
	}
	var got map[string]float64
	testenv.WaitFor(t, "every task", func() bool {
		got = points(b.collect(t))
		n := 0.0
		for k, v := range got {
			if strings.HasPrefix(k, "tenantgen.tasks.succeeded{") {
				n += v
			}
		}
		return n == tenants
	})
	named := map[string]bool{}
	for k := range got {
		if !strings.HasPrefix(k, "tenantgen.tasks.started{") {
			continue
		}
		i := strings.Index(k, "tenant=")
		named[strings.TrimSuffix(k[i+len("tenant="):], "}")] = true
	}
	if len(named) != 3 || !named["other"] {
		t.Errorf("tenant attributes of tenantgen.tasks.started: %v; want two tenants and other", named)
	}
}

// TestQueueGauges checks the depth and oldest-age gauges of a queue with
// a backlog and no worker.
func TestQueueGauges(t *testing.T) {
	t.Parallel()
	b := setup(t, nil, oteltenantgen.MinScrapeInterval(0))
	task := runtime.NewTask(runtime.TaskSpec{Name: "m.backlog"}, func(context.Context, runtime.NoArgs) error { return nil })
	b.register(t, task)
	for _, tenant := range []string{"acme", "globex", "acme"} {
		if _, err := task.Enqueue(runtime.WithTenant(t.Context(), tenant), b.app, runtime.NoArgs{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := task.Enqueue(runtime.WithTenant(t.Context(), "acme"), b.app, runtime.NoArgs{}, runtime.Delay(time.Hour)); err != nil {
		t.Fatal(err)
	}
	reg, err := b.tel.ObserveQueues(b.app, "default")
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister()
	var got map[string]float64
	testenv.WaitFor(t, "the oldest task to age", func() bool {
		got = points(b.collect(t))
		return got["tenantgen.queue.oldest_age{queue=default}"] > 0.002
	})
	for state, want := range map[string]float64{"ready": 3, "running": 0, "scheduled": 1, "dead": 0} {
		if v := got["tenantgen.queue.depth{queue=default,state="+state+"}"]; v != want {
			t.Errorf("tenantgen.queue.depth of state %s = %v, want %v", state, v, want)
		}
	}
	if age := got["tenantgen.queue.oldest_age{queue=default}"]; age > 60 {
		t.Errorf("oldest_age = %vs, want the seconds since the first enqueue", age)
	}
}
