package dashboard_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
	"github.com/tenantgen/tenantgen/runtime/dashboard"
)

// Sizes of BenchmarkPages's queue.
const (
	benchTenants = 10_000
	benchTasks   = 1_000_000
)

// BenchmarkPages renders the overview, a tenant's page and the tenants
// page of a queue holding benchTasks ready tasks of benchTenants tenants.
// The queue is built first with pipelined EnqueueMany batches (about ten
// seconds); the App has no tenant store, so the tenant page renders
// without the tenant's record, as for a deleted tenant. Skipped with
// -short.
//
//	go test ./runtime/dashboard -run '^$' -bench Pages -benchtime 20x
func BenchmarkPages(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a queue of 1,000,000 tasks: skipped with -short")
	}
	rdb := testenv.Redis(b)
	prefix := "tgdashbench" + strings.ToLower(rand.Text()[:6])
	ctx := context.Background()
	app, err := runtime.Open(ctx, runtime.Config{
		Redis: rdb, Prefix: prefix, Queues: map[string]int{queueName: 1},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		app.Close()
		iter := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			if keys = append(keys, iter.Val()); len(keys) == 500 {
				rdb.Unlink(ctx, keys...)
				keys = keys[:0]
			}
		}
		if len(keys) > 0 {
			rdb.Unlink(ctx, keys...)
		}
	})
	start := time.Now()
	fill(b, app)
	b.Logf("enqueued %d tasks of %d tenants in %v", benchTasks, benchTenants, time.Since(start).Round(time.Millisecond))

	h := dashboard.New(app, dashboard.Options{Logger: slog.New(slog.DiscardHandler)})
	for _, page := range []struct{ name, path string }{
		{"overview", "/"},
		{"tenant", "/tenants/t05001"},
		{"tenants", "/tenants?sort=backlog&page=3"},
	} {
		b.Run(page.name, func(b *testing.B) {
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", page.path, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s: %d\n%s", page.path, rec.Code, rec.Body)
				}
			}
		})
	}
}

// fill enqueues benchTasks tasks spread over benchTenants tenants, a few
// tenants with far more than the others, in batches from a few goroutines.
func fill(b *testing.B, app *runtime.App) {
	const batch, workers = 5_000, 4
	jobs := make(chan int)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			reqs := make([]runtime.Request, batch)
			for first := range jobs {
				for i := range reqs {
					n := first + i
					tenant := n % benchTenants
					if n%10 == 0 {
						tenant = n % 10 // ten noisy tenants hold a tenth of the tasks
					}
					reqs[i] = runtime.Request{
						Name: "dash.Write", Queue: queueName, Tenant: fmt.Sprintf("t%05d", tenant),
						Args: []byte(`{"n":1}`),
					}
				}
				if _, err := app.EnqueueMany(context.Background(), reqs); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for first := 0; first < benchTasks; first += batch {
		select {
		case jobs <- first:
		case err := <-errs:
			b.Fatal(err)
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}
