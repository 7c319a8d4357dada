package runtime_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/runtime"
)

// BenchmarkTenantLimits measures what per-tenant limits cost: no-op tasks
// of 50 tenants, enqueued in batches and processed at once by 16 handlers, with no limit, with a
// concurrency cap of 4 per tenant, and with a rate limit, each high enough
// never to hold a tenant back, so that the difference is the price of
// counting, not of waiting.
//
//	go test -run '^$' -bench TenantLimits -benchtime 10000x ./runtime/
func BenchmarkTenantLimits(b *testing.B) {
	const tenants, batch = 50, 1000
	for _, work := range []time.Duration{0, 2 * time.Millisecond} {
		for _, tc := range []struct {
			name string
			spec runtime.TaskSpec
		}{
			{"none", runtime.TaskSpec{}},
			{"concurrency=4", runtime.TaskSpec{TenantConcurrency: 4}},
			{"rate=100000/s", runtime.TaskSpec{TenantRate: runtime.Rate{Starts: 100000, Per: time.Second}}},
		} {
			b.Run("work="+work.String()+"/"+tc.name, func(b *testing.B) {
				q := setupQueue(b, func(c *runtime.Config) { c.Concurrency = 16 })
				ran := newRunCounter(b.N)
				spec := tc.spec
				spec.Name = "bench.limited"
				task := runtime.NewTask(spec, func(ctx context.Context, _ runtime.NoArgs) error {
					if work > 0 {
						time.Sleep(work)
					}
					if ran.ran.Add(1) == ran.n {
						close(ran.done)
					}
					return nil
				})
				if err := q.reg.Register(task); err != nil {
					b.Fatal(err)
				}
				reqs := make([]runtime.Request, batch)
				for i := range reqs {
					ctx := runtime.WithTenant(b.Context(), "t"+strconv.Itoa(i%tenants))
					req, err := task.NewRequest(ctx, runtime.NoArgs{})
					if err != nil {
						b.Fatal(err)
					}
					reqs[i] = req
				}
				stop := q.run(b) // records the task's limits before the first enqueue
				b.ReportAllocs()
				b.ResetTimer()
				for done := 0; done < b.N; done += batch {
					if _, err := q.app.EnqueueMany(b.Context(), reqs[:min(batch, b.N-done)]); err != nil {
						b.Fatal(err)
					}
				}
				<-ran.done
				b.StopTimer()
				reportRate(b, b.N)
				if err := stop(); err != nil {
					b.Fatal(err)
				}
				checkEmpty(b, q)
			})
		}
	}
}
