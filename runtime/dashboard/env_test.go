package dashboard_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
	"github.com/tenantgen/tenantgen/runtime/dashboard"
)

// writeArgs are the arguments of the test's task.
type writeArgs struct {
	N int `json:"n"`
}

// env is an example-like application: tenants acme and globex, each in a
// schema of its own with a table "done", and a task that writes a row to
// it, or fails for good while broken is set.
type env struct {
	app     *runtime.App
	prefix  string
	broken  atomic.Bool
	task    *runtime.Task[writeArgs]
	srv     *httptest.Server // the dashboard, at /dash/
	stop    func()           // stops the worker
	tenants []string         // the tenants created
}

// queueName is the queue of the test's task.
const queueName = "dash"

// newEnv opens the application on the test servers in a namespace of its
// own, which the test's end drops, and serves its dashboard with opts.
// With worker, it runs a worker until the test ends. mods change the
// App's configuration.
func newEnv(t testing.TB, worker bool, opts dashboard.Options, mods ...func(*runtime.Config)) *env {
	t.Helper()
	e := &env{prefix: "tgdash" + strings.ToLower(rand.Text()[:8])}
	rdb := testenv.Redis(t)
	dbURL := testenv.DatabaseURL(t)
	reg := runtime.NewRegistry()
	e.task = runtime.NewTask(runtime.TaskSpec{Name: "dash.Write", Queue: queueName, Retries: runtime.NoRetries},
		func(ctx context.Context, a writeArgs) error {
			if a.N < 0 {
				panic(fmt.Sprintf("negative amount %d", a.N))
			}
			if e.broken.Load() {
				return runtime.Permanent(errors.New("the ledger is broken"))
			}
			db, err := runtime.DB(ctx, "default")
			if err != nil {
				return err
			}
			_, err = db.Exec(ctx, "insert into done (n) values ($1)", a.N)
			return err
		})
	if err := reg.Register(e.task); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("TENANTGEN_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	ctx := context.Background()
	cfg := runtime.Config{
		Redis:        rdb,
		Prefix:       e.prefix,
		Databases:    map[string]string{"default": dbURL},
		SharedSchema: e.prefix + "_shared",
		Registry:     reg,
		Queues:       map[string]int{queueName: 1},
		Heartbeat:    100 * time.Millisecond,
		WorkerTTL:    time.Second,
		Backoff:      func(int) time.Duration { return time.Millisecond },
		Logger:       logger,
	}
	for _, mod := range mods {
		mod(&cfg)
	}
	app, err := runtime.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.app = app
	pool, _ := app.Pool("default")
	t.Cleanup(func() {
		app.Close()
		for _, s := range append(e.tenants, "shared") {
			pool.Exec(ctx, "drop schema if exists "+pgx.Identifier{e.prefix + "_" + s}.Sanitize()+" cascade")
		}
		iter := rdb.Scan(ctx, 0, e.prefix+":*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	if _, err := pool.Exec(ctx, "create schema "+pgx.Identifier{e.prefix + "_shared"}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	if err := app.CreateTenantsTable(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"acme", "globex"} {
		e.addTenant(t, id)
	}
	if worker {
		wctx, cancel := context.WithCancel(ctx)
		errc := make(chan error, 1)
		go func() { errc <- app.Run(wctx) }()
		e.stop = func() {
			cancel()
			if err := <-errc; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("worker: %v", err)
			}
		}
		t.Cleanup(e.stop)
	}
	opts.BasePath = "/dash"
	mux := httptestMux(dashboard.New(app, opts))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// migrations are the migrations of every tenant's schema.
var migrations = fstest.MapFS{"001_done.sql": {Data: []byte("create table done (n int not null)")}}

// addTenant creates tenant id, in a schema of its own.
func (e *env) addTenant(t testing.TB, id string) {
	t.Helper()
	e.tenants = append(e.tenants, id)
	err := e.app.CreateTenant(context.Background(), runtime.Tenant{
		ID: id, Name: strings.ToUpper(id[:1]) + id[1:] + " Inc.", Schema: e.prefix + "_" + id,
		Attrs: map[string]string{"plan": "team"},
	}, migrations)
	if err != nil {
		t.Fatal(err)
	}
}

// enqueue enqueues the task for tenant.
func (e *env) enqueue(t testing.TB, tenant string, n int, opts ...runtime.EnqueueOption) runtime.TaskID {
	t.Helper()
	id, err := e.task.Enqueue(runtime.WithTenant(context.Background(), tenant), e.app, writeArgs{N: n}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// written reports whether the task wrote n in tenant's schema.
func (e *env) written(t testing.TB, tenant string, n int) bool {
	t.Helper()
	pool, _ := e.app.Pool("default")
	var found bool
	q := fmt.Sprintf("select exists (select 1 from %s where n = $1)", pgx.Identifier{e.prefix + "_" + tenant, "done"}.Sanitize())
	if err := pool.QueryRow(context.Background(), q, n).Scan(&found); err != nil {
		t.Fatal(err)
	}
	return found
}

// dead returns the number of dead tasks of the test's queue.
func (e *env) dead(t testing.TB) int64 {
	t.Helper()
	st, err := e.app.Stats(context.Background(), queueName)
	if err != nil {
		t.Fatal(err)
	}
	return st.Dead
}

// httptestMux mounts the dashboard at /dash/, as an application would.
func httptestMux(dash http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/dash/", dash)
	return mux
}
