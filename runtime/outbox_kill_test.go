package runtime_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// The environment of the relay-killable scenario.
const (
	relayDBEnv     = "TENANTGEN_TEST_RELAY_DB"     // the outbox's database URL
	relaySchemaEnv = "TENANTGEN_TEST_RELAY_SCHEMA" // its shared schema
)

// killableRelay is the relay-killable scenario: it relays the outbox in
// batches of 10, and hangs, to be killed, once its first batch is in Redis
// and before it deletes the batch's rows, having set <prefix>:relay-wrote.
func killableRelay(url, prefix string, rdb *redis.Client, logger *slog.Logger) int {
	opts, err := redis.ParseURL(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	client := redis.NewClient(opts)
	defer client.Close()
	client.AddHook(haltAfterRelay{rdb: rdb, prefix: prefix})
	app, err := runtime.Open(context.Background(), runtime.Config{
		Redis: client, Prefix: prefix, Logger: logger,
		Databases:    map[string]string{"default": os.Getenv(relayDBEnv)},
		SharedSchema: os.Getenv(relaySchemaEnv),
		Outbox:       runtime.OutboxConfig{DB: "default", BatchSize: 10},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	defer app.Close()
	if err := app.RunRelay(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// haltAfterRelay is a Redis hook that hangs the process after the first
// pipeline of scripts (the relay's write) succeeds.
type haltAfterRelay struct {
	rdb    *redis.Client
	prefix string
}

func (h haltAfterRelay) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (h haltAfterRelay) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (h haltAfterRelay) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if err == nil && len(cmds) > 0 && cmds[0].Name() == "evalsha" {
			h.rdb.Set(context.Background(), h.prefix+":relay-wrote", "1", 0)
			select {} // until killed
		}
		return err
	}
}

// TestOutboxRelayKilled SIGKILLs a relay between its write to Redis and
// its commit: its rows come back, another relay relays them again, and
// every task runs exactly once.
func TestOutboxRelayKilled(t *testing.T) {
	t.Parallel()
	ob := setupOutbox(t, func(c *runtime.Config) { c.Outbox.DB = "" })
	ctx := t.Context()
	want := map[int]string{}
	for i := range 3 {
		tenant := []string{"acme", "globex", "acme"}[i]
		ob.inTx(t, true, func(tx pgx.Tx) {
			for j := range 10 {
				ob.enqueue(t, ob.app.Tx(tx), tenant, i*10+j)
				want[i*10+j] = tenant
			}
		})
	}
	p := startSubprocess(t, "relay-killable", ob.prefix, relayDBEnv+"="+testenv.DatabaseURL(t), relaySchemaEnv+"="+ob.shared)
	rdb := testenv.Redis(t)
	testenv.WaitFor(t, "the relay to write its first batch to Redis", func() bool {
		n, err := rdb.Exists(ctx, ob.prefix+":relay-wrote").Result()
		return err == nil && n == 1
	})
	// The batch is queued; its rows are deleted in a transaction that is
	// still open.
	if st := ob.stats(t, "default"); st.Ready != 10 {
		t.Errorf("%d tasks ready after the relay's first write, want its batch of 10", st.Ready)
	}
	if st, err := ob.app.OutboxStats(ctx); err != nil || st.Rows != 30 {
		t.Errorf("OutboxStats before the kill: %+v, %v; want the 30 rows", st, err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t, testenv.Timeout); err == nil {
		t.Fatal("the killed relay exited cleanly")
	}
	relay := ob.openApp(t, func(c *runtime.Config) { c.Outbox.DB = "default" })
	rctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- relay.RunRelay(rctx) }()
	t.Cleanup(func() { cancel(); <-done })
	ob.run(t)
	ob.waitRuns(t, want)
}
