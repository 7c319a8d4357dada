package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// outboxBundle is a tenancy bundle (tenants acme and globex) with an
// outbox table in its shared schema, relayed by its App's Run, and a task
// that records the schema each of its runs saw.
type outboxBundle struct {
	*tenancyBundle
	task *runtime.Task[echoArgs] // "test.outbox"
	logs *testenv.Logs           // the App's logs

	mu   sync.Mutex
	runs map[int][]string // by argument N: the current schema of each run
}

// setupOutbox returns an outbox bundle; mod adjusts the configuration.
func setupOutbox(t testing.TB, mod func(*runtime.Config)) *outboxBundle {
	t.Helper()
	ob := &outboxBundle{runs: map[int][]string{}, logs: new(testenv.Logs)}
	ob.tenancyBundle = setupTenancy(t, []string{"acme", "globex"}, func(c *runtime.Config) {
		c.Outbox.DB = "default"
		c.Logger = slog.New(slog.NewTextHandler(ob.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		if mod != nil {
			mod(c)
		}
	})
	if err := ob.app.CreateOutboxTable(context.Background(), "default"); err != nil {
		t.Fatal(err)
	}
	ob.task = runtime.NewTask(runtime.TaskSpec{Name: "test.outbox"}, func(ctx context.Context, a echoArgs) error {
		db, err := runtime.DB(ctx, "default")
		if err != nil {
			return err
		}
		var schema string
		if err := db.QueryRow(ctx, "select current_schema()").Scan(&schema); err != nil {
			return err
		}
		ob.mu.Lock()
		defer ob.mu.Unlock()
		ob.runs[a.N] = append(ob.runs[a.N], schema)
		return nil
	})
	if err := ob.reg.Register(ob.task); err != nil {
		t.Fatal(err)
	}
	return ob
}

// pool returns the App's default pool, the outbox's database.
func (ob *outboxBundle) pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	p, ok := ob.app.Pool("default")
	if !ok {
		t.Fatal("no default pool")
	}
	return p
}

// inTx runs f in a transaction of the default pool and commits it, or
// rolls it back if commit is false.
func (ob *outboxBundle) inTx(t testing.TB, commit bool, f func(tx pgx.Tx)) {
	t.Helper()
	ctx := context.Background()
	tx, err := ob.pool(t).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	f(tx)
	if commit {
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// enqueue enqueues the test task with argument n for tenant through e.
func (ob *outboxBundle) enqueue(t testing.TB, e runtime.Enqueuer, tenant string, n int) runtime.TaskID {
	t.Helper()
	id, err := ob.task.Enqueue(runtime.WithTenant(context.Background(), tenant), e, echoArgs{N: n})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitRuns waits until the outbox and the default queue are empty and the
// tasks of want (argument N to tenant) have run, then checks that each ran
// exactly once, in its tenant's schema, and that no other task ran.
func (ob *outboxBundle) waitRuns(t testing.TB, want map[int]string) {
	t.Helper()
	ctx := context.Background()
	testenv.WaitFor(t, fmt.Sprintf("%d tasks to run and the outbox and queue to be empty", len(want)), func() bool {
		ob.mu.Lock()
		ran := 0
		for n := range want {
			if len(ob.runs[n]) > 0 {
				ran++
			}
		}
		ob.mu.Unlock()
		if ran < len(want) {
			return false
		}
		os, err := ob.app.OutboxStats(ctx)
		if err != nil || os.Rows > 0 {
			return false
		}
		qs, err := ob.app.Stats(ctx, "default")
		return err == nil && qs == runtime.QueueStats{}
	})
	wantRuns := map[int][]string{}
	for n, tenant := range want {
		wantRuns[n] = []string{ob.schemas[tenant]}
	}
	ob.mu.Lock()
	defer ob.mu.Unlock()
	if diff := cmp.Diff(wantRuns, ob.runs); diff != "" {
		t.Errorf("runs: the schema of each run, by task argument (-want +got):\n%s", diff)
	}
}

// TestTxEnqueue checks that a task enqueued in a transaction runs once, in
// the tenant of the call, if and only if the transaction commits; and that
// a rolled-back savepoint drops its own tasks only.
func TestTxEnqueue(t *testing.T) {
	t.Parallel()
	var batches atomic.Int32
	ob := setupOutbox(t, func(c *runtime.Config) {
		c.EnqueueMiddleware = []runtime.EnqueueMiddleware{func(next runtime.EnqueueFunc) runtime.EnqueueFunc {
			return func(ctx context.Context, reqs []runtime.Request) ([]runtime.TaskID, error) {
				batches.Add(1)
				return next(ctx, reqs)
			}
		}}
	})
	ob.run(t)
	ctx := t.Context()

	ob.inTx(t, false, func(tx pgx.Tx) { ob.enqueue(t, ob.app.Tx(tx), "acme", 1) })
	ob.inTx(t, true, func(tx pgx.Tx) {
		ob.enqueue(t, ob.app.Tx(tx), "globex", 2)
		if n := ob.ranCount(); n != 0 {
			t.Errorf("%d runs before the commit", n)
		}
	})
	ob.inTx(t, true, func(tx pgx.Tx) {
		ob.enqueue(t, ob.app.Tx(tx), "acme", 3)
		sp, err := tx.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ob.enqueue(t, ob.app.Tx(sp), "acme", 4)
		if err := sp.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		sp, err = tx.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ob.enqueue(t, ob.app.Tx(sp), "globex", 5)
		if err := sp.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	})
	ob.waitRuns(t, map[int]string{2: "globex", 3: "acme", 5: "globex"})
	if got := batches.Load(); got != 5 {
		t.Errorf("EnqueueMiddleware saw %d batches, want 5: one per transactional enqueue", got)
	}
}

// ranCount returns how many runs the bundle's task has made.
func (ob *outboxBundle) ranCount() int {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	n := 0
	for _, r := range ob.runs {
		n += len(r)
	}
	return n
}

// TestTxEnqueueErrors checks the errors of transactional enqueues: an
// invalid request is reported in a *BatchError while the others are
// written, a missing table says how to create it, and TaskTx needs
// DBTransaction mode.
func TestTxEnqueueErrors(t *testing.T) {
	t.Parallel()
	ob := setupOutbox(t, nil)
	ctx := runtime.WithTenant(t.Context(), "acme")
	ob.inTx(t, true, func(tx pgx.Tx) {
		ids, err := ob.app.Tx(tx).EnqueueMany(ctx, []runtime.Request{
			{Name: "test.outbox", Tenant: "acme", Args: []byte(`{"n":1}`)},
			{Name: "test.outbox", Tenant: "acme", Args: []byte(`{`)},
		})
		var be *runtime.BatchError
		if !errors.As(err, &be) || len(be.Errs) != 1 || be.Errs[0].Index != 1 {
			t.Fatalf("EnqueueMany with an invalid request: %v, want a *BatchError for request 1", err)
		}
		if ids[0] == "" || ids[1] != "" {
			t.Errorf("IDs %q, want one for request 0 only", ids)
		}
	})
	ob.run(t)
	ob.waitRuns(t, map[int]string{1: "acme"})

	if _, err := ob.pg.Exec(ctx, fmt.Sprintf("drop table %q.tenantgen_outbox", ob.shared)); err != nil {
		t.Fatal(err)
	}
	ob.inTx(t, false, func(tx pgx.Tx) {
		_, err := ob.task.Enqueue(ctx, ob.app.Tx(tx), echoArgs{})
		wantError(t, err, "no outbox table", "CreateOutboxTable")
	})
	if _, err := ob.app.TaskTx(ctx, "default"); err == nil || !strings.Contains(err.Error(), "DBTransaction") {
		t.Errorf("TaskTx in DBStatement mode: %v, want an error naming DBTransaction", err)
	}
}

// TestTaskTxChildTasks checks that the child tasks of a task in
// DBTransaction mode, enqueued through its transaction, are queued only
// when it succeeds: the child of a failed attempt never runs.
func TestTaskTxChildTasks(t *testing.T) {
	t.Parallel()
	ob := setupOutbox(t, func(c *runtime.Config) { c.DBMode = runtime.DBTransaction })
	parent := runtime.NewTask(runtime.TaskSpec{Name: "test.parent", Retries: 3}, func(ctx context.Context, _ runtime.NoArgs) error {
		job, _ := runtime.JobFrom(ctx)
		e, err := ob.app.TaskTx(ctx, "default")
		if err != nil {
			return err
		}
		if _, err := ob.task.Enqueue(ctx, e, echoArgs{N: 100 + job.Attempt}); err != nil {
			return err
		}
		if job.Attempt == 1 {
			return errors.New("the first attempt fails after enqueueing its child")
		}
		return nil
	})
	if err := ob.reg.Register(parent); err != nil {
		t.Fatal(err)
	}
	ob.run(t)
	if _, err := parent.Enqueue(runtime.WithTenant(t.Context(), "acme"), ob.app, runtime.NoArgs{}); err != nil {
		t.Fatal(err)
	}
	ob.waitRuns(t, map[int]string{102: "acme"})
}

// TestOutboxTwoRelays relays one outbox with two Apps at once, in small
// batches: every task runs exactly once.
func TestOutboxTwoRelays(t *testing.T) {
	t.Parallel()
	ob := setupOutbox(t, func(c *runtime.Config) {
		// Each enqueueing transaction holds a connection while the tenant
		// check at enqueue takes another.
		url := testenv.DatabaseURL(t)
		c.Databases["default"] = url + sep(url) + "pool_max_conns=8"
		c.Outbox.BatchSize = 7
	})
	second := ob.openApp(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- second.RunRelay(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	ob.run(t)
	want := map[int]string{}
	var wg sync.WaitGroup
	for g := range 4 {
		tenant := []string{"acme", "globex"}[g%2]
		for i := range 50 {
			want[g*100+i] = tenant
		}
		wg.Go(func() {
			for i := 0; i < 50; i += 10 {
				if err := enqueueTen(ob, tenant, g*100+i); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	ob.waitRuns(t, want)
}

// enqueueTen enqueues the test task for tenant with arguments n to n+9 in
// one transaction.
func enqueueTen(ob *outboxBundle, tenant string, n int) error {
	ctx := runtime.WithTenant(context.Background(), tenant)
	p, _ := ob.app.Pool("default")
	return pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		e := ob.app.Tx(tx)
		for j := range 10 {
			if _, err := ob.task.Enqueue(ctx, e, echoArgs{N: n + j}); err != nil {
				return err
			}
		}
		return nil
	})
}

// TestOutboxBehindPgBouncer relays an outbox behind PgBouncer in
// transaction pool mode: the relay finds the pooler and polls.
func TestOutboxBehindPgBouncer(t *testing.T) {
	t.Parallel()
	url := pgbouncerDB(t).url
	ob := setupOutbox(t, func(c *runtime.Config) {
		c.Databases["default"] = url + sep(url) + "pool_max_conns=4"
		c.Outbox.PollInterval = 20 * time.Millisecond
	})
	ob.run(t)
	ob.inTx(t, true, func(tx pgx.Tx) {
		ob.enqueue(t, ob.app.Tx(tx), "acme", 1)
		ob.enqueue(t, ob.app.Tx(tx), "globex", 2)
	})
	ob.inTx(t, false, func(tx pgx.Tx) { ob.enqueue(t, ob.app.Tx(tx), "acme", 3) })
	ob.waitRuns(t, map[int]string{1: "acme", 2: "globex"})
	if logs := ob.logs.String(); !strings.Contains(logs, "behind a connection pooler") {
		t.Errorf("the relay did not log that it polls behind the pooler; logs:\n%s", logs)
	}
}

// TestOutboxRedisDown relays an outbox while Redis is down, then back:
// the rows wait, the relay logs its failures and backs off, and once Redis
// answers every task runs exactly once.
func TestOutboxRedisDown(t *testing.T) {
	t.Parallel()
	ob := setupOutbox(t, func(c *runtime.Config) { c.Outbox.DB = "" })
	var down atomic.Bool
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	opts.MaxRetries = -1
	opts.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if down.Load() {
			return nil, errors.New("test: redis is down")
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &flakyConn{Conn: c, down: &down}, nil
	}
	flaky := redis.NewClient(opts)
	t.Cleanup(func() { flaky.Close() })
	logs := new(testenv.Logs)
	relay := ob.openApp(t, func(c *runtime.Config) {
		c.Redis = flaky
		c.Outbox.DB = "default"
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	down.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- relay.RunRelay(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	want := map[int]string{}
	ob.inTx(t, true, func(tx pgx.Tx) {
		for i := range 5 {
			ob.enqueue(t, ob.app.Tx(tx), "acme", i)
			want[i] = "acme"
		}
	})
	testenv.WaitFor(t, "two failed relays", func() bool { return strings.Count(logs.String(), "outbox relay failed") >= 2 })
	st, err := ob.app.OutboxStats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != 5 || st.OldestAge <= 0 {
		t.Errorf("OutboxStats while Redis is down: %+v, want 5 rows and a positive age", st)
	}
	down.Store(false)
	ob.run(t)
	ob.waitRuns(t, want)
	testenv.WaitFor(t, "the relay to log its recovery", func() bool { return strings.Contains(logs.String(), "outbox relay recovered") })
}

// flakyConn is a connection to Redis that fails while down is set, as if
// the server had gone.
type flakyConn struct {
	net.Conn
	down *atomic.Bool
}

func (c *flakyConn) Read(p []byte) (int, error) {
	if c.down.Load() {
		c.Conn.Close()
		return 0, syscall.ECONNRESET
	}
	return c.Conn.Read(p)
}

func (c *flakyConn) Write(p []byte) (int, error) {
	if c.down.Load() {
		c.Conn.Close()
		return 0, syscall.ECONNRESET
	}
	return c.Conn.Write(p)
}

// TestOutboxConfig checks that Open rejects invalid Config.Outbox fields,
// each named, before connecting, and that a relay refuses to start
// without its table.
func TestOutboxConfig(t *testing.T) {
	t.Parallel()
	const down = "redis://127.0.0.1:1/0" // never dialed
	const pg = "postgres://127.0.0.1:1/x"
	dbs := map[string]string{"default": pg}
	for _, tc := range []struct {
		name string
		o    runtime.OutboxConfig
		want []string
	}{
		{"unknown db", runtime.OutboxConfig{DB: "other"}, []string{`Outbox: DB names database "other"`}},
		{"poll", runtime.OutboxConfig{DB: "default", PollInterval: -time.Second}, []string{"Outbox: PollInterval"}},
		{"batch", runtime.OutboxConfig{DB: "default", BatchSize: -1}, []string{"Outbox: BatchSize is -1"}},
		{"huge batch", runtime.OutboxConfig{DB: "default", BatchSize: 20_000}, []string{"Outbox: BatchSize is 20000"}},
		{"dedup", runtime.OutboxConfig{DB: "default", DedupWindow: time.Second}, []string{"Outbox: DedupWindow is 1s", "at least a minute"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app, err := runtime.Open(context.Background(), runtime.Config{RedisURL: down, Databases: dbs, Outbox: tc.o})
			if err == nil {
				app.Close()
				t.Fatal("Open succeeded, want an invalid Config error")
			}
			wantError(t, err, append([]string{"tenantgen: invalid Config: "}, tc.want...)...)
		})
	}
	t.Run("no table", func(t *testing.T) {
		t.Parallel()
		ob := setupOutbox(t, nil)
		if _, err := ob.pg.Exec(t.Context(), fmt.Sprintf("drop table %q.tenantgen_outbox", ob.shared)); err != nil {
			t.Fatal(err)
		}
		wantError(t, ob.app.RunRelay(t.Context()), "no outbox table", "CreateOutboxTable")
		wantError(t, ob.app.Run(t.Context()), "no outbox table", "CreateOutboxTable")
	})
}

// TestTaskTxTrustsTaskTenant checks that a child task enqueued through a
// task's transaction for the task's own tenant is not checked against the
// tenant store again: the worker has just resolved the tenant as ready,
// and the check would take a second connection from a pool whose
// connections the running tasks may all hold.
func TestTaskTxTrustsTaskTenant(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	ob := setupOutbox(t, func(c *runtime.Config) {
		c.DBMode = runtime.DBTransaction
		pool, err := pgxpool.New(context.Background(), testenv.DatabaseURL(t)+sep(testenv.DatabaseURL(t))+"pool_max_conns=2")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		c.Tenants = &downStore{TableStore: runtime.NewTableStore(pool, runtime.TenantTable{Schema: c.SharedSchema}), down: &down}
	})
	parent := runtime.NewTask(runtime.TaskSpec{Name: "test.parent", Retries: runtime.NoRetries}, func(ctx context.Context, _ runtime.NoArgs) error {
		// As if the worker had resolved the tenant long ago: the cache
		// has it no more, and a lookup fails while the child is enqueued.
		if err := ob.app.InvalidateTenant(ctx, "acme"); err != nil {
			return err
		}
		down.Store(true)
		defer down.Store(false)
		e, err := ob.app.TaskTx(ctx, "default")
		if err != nil {
			return err
		}
		_, err = ob.task.Enqueue(ctx, e, echoArgs{N: 1})
		return err
	})
	if err := ob.reg.Register(parent); err != nil {
		t.Fatal(err)
	}
	ob.run(t)
	if _, err := parent.Enqueue(runtime.WithTenant(t.Context(), "acme"), ob.app, runtime.NoArgs{}); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "the child to run, or the parent to die", func() bool {
		st, err := ob.app.Stats(t.Context(), "default")
		return err == nil && (st.Dead > 0 || ob.ranCount() > 0)
	})
	if dead := ob.deadErrors(t); len(dead) > 0 {
		t.Fatalf("the parent died: %v", dead)
	}
	ob.waitRuns(t, map[int]string{1: "acme"})
}

// downStore is a tenant store whose lookups fail while down is set.
type downStore struct {
	*runtime.TableStore
	down *atomic.Bool
}

func (s *downStore) Tenant(ctx context.Context, id string) (*runtime.Tenant, error) {
	if s.down.Load() {
		return nil, errors.New("test: the tenant store is down")
	}
	return s.TableStore.Tenant(ctx, id)
}
