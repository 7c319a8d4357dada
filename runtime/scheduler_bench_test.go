package runtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/runtime"
)

// BenchmarkSchedulerFanOut measures one tick of one entry for 10,000
// tenants, spread over ten minutes: listing the tenants, building the
// requests and enqueueing them in batches of one round trip each.
func BenchmarkSchedulerFanOut(b *testing.B) {
	const n = 10_000
	sb := setupScheduler(b, manyTenants(n))
	s := sb.scheduler(b, func(c *runtime.SchedulerConfig) {
		c.Entries = []runtime.Entry{{Task: "report", Every: time.Hour, Spread: 10 * time.Minute}}
		c.LeaseTTL, c.Grace = 10*time.Second, time.Minute
	})
	tick(b, s)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		sb.clock.Add(time.Hour)
		tick(b, s)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/task")
	if st, err := sb.app.Stats(ctx, "default"); err != nil || st.Scheduled != int64(n*b.N) {
		b.Fatalf("Stats = %+v, %v; want %d scheduled", st, err, n*b.N)
	}
}
