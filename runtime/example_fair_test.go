package runtime_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// exampleApp opens an App on the test Redis, under a key prefix of its own,
// and returns a function that deletes its keys and closes it.
func exampleApp(cfg runtime.Config) (*runtime.App, func(), error) {
	url := os.Getenv(testenv.RedisURLEnv)
	if url == "" {
		url = testenv.DefaultRedisURL
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, nil, err
	}
	rdb := redis.NewClient(opts)
	cfg.Redis = rdb
	cfg.Prefix = "example-" + strings.ToLower(rand.Text()[:8])
	cfg.Logger = slog.New(slog.DiscardHandler)
	app, err := runtime.Open(context.Background(), cfg)
	if err != nil {
		rdb.Close()
		return nil, nil, err
	}
	return app, func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, cfg.Prefix+":*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		app.Close()
		rdb.Close()
	}, nil
}

// Pausing a tenant holds its tasks in every queue the App knows, without
// holding up other tenants; pausing a queue holds all of it.
func ExampleApp_PauseTenant() {
	ctx := context.Background()
	app, done, err := exampleApp(runtime.Config{Queues: map[string]int{"default": 1, "billing": 2}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer done()

	if err := app.PauseTenant(ctx, "acme"); err != nil { // in default and billing
		fmt.Println(err)
		return
	}
	if err := app.PauseQueue(ctx, "billing"); err != nil {
		fmt.Println(err)
		return
	}
	st, err := app.Paused(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("paused queues:", st.Queues)
	fmt.Println("paused tenants:", st.Tenants)

	if err := app.ResumeTenant(ctx, "acme", "billing"); err != nil { // in billing only
		fmt.Println(err)
		return
	}
	if err := app.ResumeQueue(ctx, "billing"); err != nil {
		fmt.Println(err)
		return
	}
	st, _ = app.Paused(ctx)
	fmt.Println("paused queues:", st.Queues)
	fmt.Println("paused tenants:", st.Tenants)
	// Output:
	// paused queues: [billing]
	// paused tenants: map[billing:[acme] default:[acme]]
	// paused queues: []
	// paused tenants: map[default:[acme]]
}
