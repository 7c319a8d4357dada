package runtime_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// BenchmarkTxEnqueue measures transactional enqueues (App.Tx), writer side
// only: many in one transaction, each in a transaction of its own, and
// batches of 100 (EnqueueMany) per transaction.
//
//	go test -run '^$' -bench TxEnqueue -benchtime 2000x ./runtime/
func BenchmarkTxEnqueue(b *testing.B) {
	ob := setupOutbox(b, func(c *runtime.Config) { c.Outbox.DB = ""; c.Logger = slog.New(slog.DiscardHandler) })
	ctx := runtime.WithTenant(context.Background(), "acme")
	p := ob.pool(b)
	b.Run("many-per-tx", func(b *testing.B) {
		tx, err := p.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer tx.Rollback(ctx)
		e := ob.app.Tx(tx)
		b.ResetTimer()
		for i := range b.N {
			if _, err := ob.task.Enqueue(ctx, e, echoArgs{N: i}); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
	})
	b.Run("one-per-tx", func(b *testing.B) {
		for i := range b.N {
			err := pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
				_, err := ob.task.Enqueue(ctx, ob.app.Tx(tx), echoArgs{N: i})
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
	})
	b.Run("batch-100-per-tx", func(b *testing.B) {
		reqs := make([]runtime.Request, 100)
		for i := range reqs {
			reqs[i] = runtime.Request{Name: ob.task.Spec().Name, Tenant: "acme", Args: []byte(`{"n":1}`)}
		}
		b.ResetTimer()
		for i := 0; i < b.N; i += len(reqs) {
			err := pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
				_, err := ob.app.Tx(tx).EnqueueMany(ctx, reqs[:min(len(reqs), b.N-i)])
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
	})
}

// BenchmarkOutboxRelay measures the relay alone: b.N committed rows, moved
// to Redis in batches of the default size (500) and of 2,000.
//
//	go test -run '^$' -bench OutboxRelay -benchtime 20000x ./runtime/
func BenchmarkOutboxRelay(b *testing.B) {
	for _, size := range []int{500, 2000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			ob := setupOutbox(b, func(c *runtime.Config) {
				c.Outbox.BatchSize = size
				c.Logger = slog.New(slog.DiscardHandler)
			})
			ctx := runtime.WithTenant(context.Background(), "acme")
			reqs := make([]runtime.Request, b.N)
			for i := range reqs {
				reqs[i] = runtime.Request{Name: ob.task.Spec().Name, Tenant: "acme", Args: []byte(`{"n":1}`)}
			}
			err := pgx.BeginFunc(ctx, ob.pool(b), func(tx pgx.Tx) error {
				for i := 0; i < len(reqs); i += 1000 {
					if _, err := ob.app.Tx(tx).EnqueueMany(ctx, reqs[i:min(i+1000, len(reqs))]); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			rctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- ob.app.RunRelay(rctx) }()
			defer func() { cancel(); <-done }()
			testenv.WaitFor(b, "every row relayed", func() bool {
				st, err := ob.app.Stats(ctx, "default")
				return err == nil && st.Ready == int64(b.N)
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
		})
	}
}

// BenchmarkOutboxLatency measures commit-to-start latency, one task at a
// time: from just before Commit to the start of the task on a worker of
// the same App, with the relay woken by LISTEN/NOTIFY and with polling
// only (Config.Outbox.NoListen, the default PollInterval), as behind
// PgBouncer. It reports the median and the 99th percentile.
//
//	go test -run '^$' -bench OutboxLatency/listen -benchtime 300x ./runtime/
func BenchmarkOutboxLatency(b *testing.B) {
	for _, tc := range []struct {
		name     string
		noListen bool
	}{{"listen", false}, {"poll", true}} {
		b.Run(tc.name, func(b *testing.B) {
			ob := setupOutbox(b, func(c *runtime.Config) {
				c.Outbox.NoListen = tc.noListen
				c.Logger = slog.New(slog.DiscardHandler)
			})
			started := make(chan time.Time, 1)
			task := runtime.NewTask(runtime.TaskSpec{Name: "test.latency"}, func(context.Context, runtime.NoArgs) error {
				started <- time.Now()
				return nil
			})
			if err := ob.reg.Register(task); err != nil {
				b.Fatal(err)
			}
			ob.run(b)
			ctx := runtime.WithTenant(context.Background(), "acme")
			p := ob.pool(b)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				tx, err := p.Begin(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := task.Enqueue(ctx, ob.app.Tx(tx), runtime.NoArgs{}); err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				if err := tx.Commit(ctx); err != nil {
					b.Fatal(err)
				}
				select {
				case t := <-started:
					lat = append(lat, t.Sub(t0))
				case <-time.After(testenv.Timeout):
					b.Fatal("the task did not start")
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[min(len(lat)*99/100, len(lat)-1)]), "p99-ms")
		})
	}
}

// ms returns d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
