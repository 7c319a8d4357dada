package runtime_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// A nightly report for every ready tenant, declared in Go, and a task whose
// //tenant:task cron= option gave it a cron spec: the scheduler enqueues
// both. The example drives it with a fake clock; App.Run would run it on
// the real one.
func ExampleScheduler() {
	ctx := context.Background()
	reg := runtime.NewRegistry()
	report := runtime.NewTask(runtime.TaskSpec{Name: "reports.Nightly"}, func(context.Context, runtime.NoArgs) error { return nil })
	digest := runtime.NewTask(runtime.TaskSpec{Name: "mail.Digest", Cron: "*/5 * * * *"}, func(context.Context, runtime.NoArgs) error { return nil })
	if err := reg.Register(report, digest); err != nil {
		fmt.Println(err)
		return
	}
	url := os.Getenv(testenv.RedisURLEnv)
	if url == "" {
		url = testenv.DefaultRedisURL
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		fmt.Println(err)
		return
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	prefix := "example-" + strings.ToLower(rand.Text()[:8])
	defer cleanPrefix(rdb, prefix)
	app, err := runtime.Open(ctx, runtime.Config{
		Redis:    rdb,
		Prefix:   prefix,
		Registry: reg,
		Tenants:  manyTenantsNamed("acme", "globex"),
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer app.Close()

	clock := newFakeClock(time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC))
	s, err := runtime.NewScheduler(app, runtime.SchedulerConfig{
		Entries: []runtime.Entry{{Name: "nightly", Task: "reports.Nightly", Cron: "0 0 * * *"}},
		Spread:  30 * time.Minute, // the reports of a night arrive over half an hour
		Now:     clock.Now,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Entries())

	s.Tick(ctx) // takes the lease and starts the entries
	clock.Add(time.Minute)
	if err := s.Tick(ctx); err != nil { // midnight: both entries are due
		fmt.Println(err)
		return
	}
	st, _ := app.Stats(ctx, "default")
	fmt.Printf("leader: %v, ready: %d, spread over the window: %d\n", s.Leader(), st.Ready, st.Scheduled)
	// Output:
	// [mail.Digest@__all__ nightly@__all__]
	// leader: true, ready: 0, spread over the window: 4
}

// cleanPrefix deletes the Redis keys of an example.
func cleanPrefix(rdb *redis.Client, prefix string) {
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
}
