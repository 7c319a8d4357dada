package runtime_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// TestTenantCacheInvalidatedThroughPubSub shows that a worker caching
// tenants for an hour stops running a tenant's tasks soon after another
// App (another process, in production) marks the tenant not ready: the
// change reaches the worker's cache through Redis Pub/Sub, not the TTL.
func TestTenantCacheInvalidatedThroughPubSub(t *testing.T) {
	t.Parallel()
	tb := setupTenancy(t, []string{"acme"}, func(c *runtime.Config) {
		smallPool(t, 2)(c)
		c.TenantCache = time.Hour
		// What the worker's cache sees is under test, not the
		// enqueue's check of the same cache.
		c.SkipTenantCheck = true
	})
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.bump", Retries: runtime.NoRetries}, func(ctx context.Context, _ runtime.NoArgs) error { return bump(ctx) })
	if err := tb.reg.Register(task); err != nil {
		t.Fatal(err)
	}
	tb.run(t)
	ctx := t.Context()

	// runOne enqueues a task for acme and waits for it to finish. It
	// returns the error of the task if it died, or "" if it ran.
	dead := int64(0)
	runOne := func() string {
		t.Helper()
		before := tb.counter(t, "acme")
		id, err := task.Enqueue(ctx, tb.app, runtime.NoArgs{}, runtime.ForTenant("acme"))
		if err != nil {
			t.Fatal(err)
		}
		var st runtime.QueueStats
		testenv.WaitFor(t, "the task to run or die", func() bool {
			st, err = tb.app.Stats(ctx, "default")
			return err == nil && st.Ready+st.Running+st.Scheduled == 0 && (st.Dead > dead || tb.counter(t, "acme") > before)
		})
		if st.Dead > dead {
			dead = st.Dead
			return deadError(t, tb.app, id)
		}
		return ""
	}

	// The first task caches acme.
	if err := runOne(); err != "" {
		t.Fatalf("the first task died: %s", err)
	}
	// The cache serves the next one: a change made behind the App's back,
	// which no one announces, is not seen.
	q := fmt.Sprintf("update %q.tenants set ready = false where id = 'acme'", tb.shared)
	if _, err := tb.pg.Exec(ctx, q); err != nil {
		t.Fatal(err)
	}
	if err := runOne(); err != "" {
		t.Fatalf("with acme cached, the task died: %s; is the cache (TenantCache = 1h) on?", err)
	}

	// Another App with the same prefix and database disables acme: the
	// worker hears of it.
	url := testenv.DatabaseURL(t)
	other, err := runtime.Open(ctx, runtime.Config{
		Redis:        tb.cfg.Redis,
		Prefix:       tb.prefix,
		Databases:    map[string]string{"default": url + sep(url) + "pool_max_conns=1"},
		SharedSchema: tb.shared,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	start := time.Now()
	if err := other.UpdateTenant(ctx, runtime.Tenant{ID: "acme", Schema: tb.schemas["acme"], Name: "ACME"}); err != nil {
		t.Fatal(err)
	}
	// Pub/Sub is asynchronous: a task or two may still run meanwhile. A
	// worker that missed the message would keep acme cached for an hour
	// (TenantCache), far beyond testenv.Timeout.
	ran := 0
	var refused string
	if !testenv.Eventually(func() bool {
		refused = runOne()
		if refused == "" {
			ran++
		}
		return refused != ""
	}) {
		t.Fatalf("%d tasks ran for acme in the %v after it was disabled: the worker's cache was not invalidated", ran, testenv.Timeout)
	}
	if want := `tenant "acme" refused: not ready`; !strings.Contains(refused, want) {
		t.Fatalf("the task died with %q, want an error containing %q", refused, want)
	}
	t.Logf("refused after %d more runs, %v after the update", ran, time.Since(start).Round(time.Millisecond))
}
