package runtime_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// BenchmarkInspector measures the Inspector's reads that the dashboard's
// overview and tenant pages make, on a private Redis holding 10,000 tenants
// with 100 ready tasks each (1,000,000 queued tasks) and one delayed task
// each. Building the data takes a few seconds; the benchmark is skipped
// under -short.
//
//	go test -run '^$' -bench Inspector -benchtime 20x ./runtime/
func BenchmarkInspector(b *testing.B) {
	if testing.Short() {
		b.Skip("builds 1,000,000 tasks; not with -short")
	}
	const tenants, perTenant = 10000, 100
	rdb := testenv.PrivateRedis(b)
	reg := runtime.NewRegistry()
	task := runtime.NewTask(runtime.TaskSpec{Name: "bench.inspect"}, func(context.Context, runtime.NoArgs) error { return nil })
	if err := reg.Register(task); err != nil {
		b.Fatal(err)
	}
	app, err := runtime.Open(b.Context(), runtime.Config{Redis: rdb, Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	start := time.Now()
	var reqs []runtime.Request
	flush := func() {
		if _, err := app.EnqueueMany(b.Context(), reqs); err != nil {
			b.Fatal(err)
		}
		reqs = reqs[:0]
	}
	for round := range perTenant + 1 {
		for i := range tenants {
			opts := []runtime.EnqueueOption{runtime.ForTenant(fmt.Sprintf("t%05d", i))}
			if round == perTenant {
				opts = append(opts, runtime.Delay(time.Hour))
			}
			req, err := task.NewRequest(b.Context(), runtime.NoArgs{}, opts...)
			if err != nil {
				b.Fatal(err)
			}
			reqs = append(reqs, req)
			if len(reqs) == 10000 {
				flush()
			}
		}
	}
	flush()
	b.Logf("built %d tasks of %d tenants in %v", tenants*(perTenant+1), tenants, time.Since(start).Round(time.Millisecond))
	in := app.Inspector()
	ctx := b.Context()
	check := func(ready int64) {
		qs, err := in.Queues(ctx)
		if err != nil || qs[0].Ready != ready {
			b.Fatalf("Queues = %+v, %v; want %d ready tasks", qs, err, ready)
		}
	}
	check(tenants * perTenant)
	for _, bc := range []struct {
		name string
		f    func() error
	}{
		{"Queues", func() error { _, err := in.Queues(ctx); return err }},
		{"Tenants/backlog", func() error { _, err := in.Tenants(ctx, runtime.TenantQuery{Limit: 50}); return err }},
		{"Tenants/page-100", func() error {
			_, err := in.Tenants(ctx, runtime.TenantQuery{Sort: runtime.ByID, Offset: 5000, Limit: 50})
			return err
		}},
		{"Tasks/tenant-ready", func() error {
			_, err := in.Tasks(ctx, runtime.TaskQuery{Queue: "default", State: runtime.StateReady, Tenant: "t04242", Limit: 50})
			return err
		}},
		{"Tasks/ready", func() error {
			_, err := in.Tasks(ctx, runtime.TaskQuery{Queue: "default", State: runtime.StateReady, Limit: 50})
			return err
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var self0, self1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &self0)
			redis0 := testenv.RedisCPU(b, rdb)
			for b.Loop() {
				if err := bc.f(); err != nil {
					b.Fatal(err)
				}
			}
			redisCPU := testenv.RedisCPU(b, rdb) - redis0
			syscall.Getrusage(syscall.RUSAGE_SELF, &self1)
			client := time.Duration(self1.Utime.Nano()+self1.Stime.Nano()-self0.Utime.Nano()-self0.Stime.Nano()) * time.Nanosecond
			n := float64(b.N)
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/n, "ms/op")
			b.ReportMetric(float64(redisCPU.Microseconds())/1000/n, "redis-cpu-ms/op")
			b.ReportMetric(float64(client.Microseconds())/1000/n, "client-cpu-ms/op")
		})
	}
}
