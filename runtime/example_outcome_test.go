package runtime_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// ExampleUniqueKey enqueues a charge so that it can be retried without a
// second copy, as after an *UnknownOutcomeError: with the same ID and
// unique key, a retry is a no-op if the first attempt landed.
func ExampleUniqueKey() {
	ctx := context.Background()
	url := exampleURL(testenv.RedisURLEnv, testenv.DefaultRedisURL)
	prefix := "example-" + strings.ToLower(rand.Text()[:8])
	app, err := runtime.Open(ctx, runtime.Config{RedisURL: url, Prefix: prefix, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer app.Close()
	defer dropKeys(url, prefix)

	charge := runtime.NewTask(runtime.TaskSpec{Name: "billing.ChargeCard"}, func(context.Context, Invoice) error { return nil })
	ctx = runtime.WithTenant(ctx, "acme")
	inv := Invoice{ID: "inv-7", Cents: 1250}
	once := []runtime.EnqueueOption{runtime.ID("charge-inv-7"), runtime.UniqueKey("acme:charge:inv-7", 24*time.Hour)}

	id, err := charge.Enqueue(ctx, app, inv, once...)
	fmt.Println("first attempt:", id, err)

	// Had that failed with an *UnknownOutcomeError, this retry would be
	// safe: it enqueues nothing, since the first attempt landed.
	id, err = charge.Enqueue(ctx, app, inv, once...)
	fmt.Println("retry:", id, err)

	// Another ID with the same key is a duplicate of the queued task.
	id, err = charge.Enqueue(ctx, app, inv, runtime.UniqueKey("acme:charge:inv-7", 24*time.Hour))
	fmt.Println("another ID:", id, errors.Is(err, runtime.ErrDuplicate))

	st, err := app.Stats(ctx, "default")
	fmt.Println("queued:", st.Ready, err)
	// Output:
	// first attempt: charge-inv-7 <nil>
	// retry: charge-inv-7 <nil>
	// another ID: charge-inv-7 true
	// queued: 1 <nil>
}

// dropKeys deletes the Redis keys of an example's prefix.
func dropKeys(url, prefix string) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
}
