package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// errInjected is what the leak tests' failing tasks return.
var errInjected = errors.New("injected failure")

// leakCase is a task that tries to leave its tenant's schema on the pool's
// connection.
type leakCase struct {
	name    string
	timeout time.Duration
	// body runs as the task for tenant acme; path is acme's search_path,
	// quoted, and schema its schema, quoted.
	body func(ctx context.Context, db *runtime.TenantDB, path, schema string) error
	dead string // the task dies with an error containing this; "" if it succeeds
}

var leakCases = []leakCase{
	{
		name: "own SET search_path",
		body: func(ctx context.Context, db *runtime.TenantDB, path, schema string) error {
			if _, err := db.Exec(ctx, "set search_path to "+schema); err != nil {
				return err
			}
			_, err := db.Exec(ctx, "update items set n = n + 1 where id = 1")
			return err
		},
	},
	{
		name: "set_config for the session",
		body: func(ctx context.Context, db *runtime.TenantDB, path, schema string) error {
			var got string
			return db.QueryRow(ctx, "select set_config('search_path', $1, false)", path).Scan(&got)
		},
	},
	{
		name: "error after a session SET",
		body: func(ctx context.Context, db *runtime.TenantDB, path, schema string) error {
			if _, err := db.Exec(ctx, "select set_config('search_path', $1, false)", path); err != nil {
				return err
			}
			if _, err := db.Exec(ctx, "update items set n = n + 1 where id = 1"); err != nil {
				return err
			}
			return errInjected
		},
		dead: errInjected.Error(),
	},
	{
		name: "panic mid-query",
		body: func(ctx context.Context, db *runtime.TenantDB, path, schema string) error {
			rows, err := db.Query(ctx, "select set_config('search_path', $1, false), g from generate_series(1, 1000) g", path)
			if err != nil {
				return err
			}
			if !rows.Next() {
				return fmt.Errorf("no rows: %v", rows.Err())
			}
			panic("injected panic with rows open")
		},
		dead: "panic: injected panic with rows open",
	},
	{
		name:    "timeout in pg_sleep",
		timeout: 300 * time.Millisecond,
		body: func(ctx context.Context, db *runtime.TenantDB, path, schema string) error {
			if _, err := db.Exec(ctx, "set search_path to "+schema); err != nil {
				return err
			}
			_, err := db.Exec(ctx, "select set_config('search_path', $1, false), pg_sleep(10)", path)
			return err
		},
		dead: "deadline exceeded",
	},
	{
		name: "Begin without Commit",
		body: func(ctx context.Context, db *runtime.TenantDB, path, schema string) error {
			tx, err := db.Begin(ctx)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "set search_path to "+schema); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, "update items set n = n + 1 where id = 1")
			return err // and never commits
		},
	},
}

// onePool makes the App's only database a pool of one connection to db,
// whose search_path is the shared schema alone, as it is on the App's own
// pools (behind PgBouncer, which refuses it as a startup parameter, the
// server's default, and in exec mode, which it needs). The pool is given
// through Config.Pools and closed when the test ends.
func onePool(t testing.TB, db tenancyDB, mode runtime.DBMode) func(*runtime.Config) {
	t.Helper()
	pc, err := pgxpool.ParseConfig(db.url)
	if err != nil {
		t.Fatal(err)
	}
	pc.MaxConns = 1
	if db.pooler {
		pc.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	}
	return func(c *runtime.Config) {
		if !db.pooler {
			pc.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{c.SharedSchema}.Sanitize()
		}
		pool, err := pgxpool.NewWithConfig(context.Background(), pc)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			// Bounded: Close waits for every connection to come back,
			// which a leaked one never does.
			done := make(chan struct{})
			go func() { pool.Close(); close(done) }()
			select {
			case <-done:
			case <-time.After(testenv.Timeout):
				t.Errorf("closing the pool: a connection was never given back")
			}
		})
		c.Databases = nil
		c.Pools = map[string]*pgxpool.Pool{"default": pool}
		c.DBMode = mode
	}
}

// observed is what an observer task saw.
type observed struct {
	Path   string // show search_path
	Schema string // current_schema()
	Items  string // reading the items table: its counter, or the error code
}

// TestTenantNeverLeaksToPooledConnections runs, on a pool of one
// connection, tasks that set search_path for the session in every way they
// can, fail, panic with rows open, time out mid-statement or leave a
// transaction open. After each, a user of the pool outside tasks must get
// the connection promptly and find it on the shared schema only; a public
// task must see only the shared schema, and another tenant's task only its
// own.
func TestTenantNeverLeaksToPooledConnections(t *testing.T) {
	t.Parallel()
	for _, mode := range dbModes {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			checkNoLeak(t, directDB(t), mode)
		})
	}
}

// checkNoLeak is TestTenantNeverLeaksToPooledConnections on db, in mode.
// Outside tasks, the connection must be on db.outsidePath.
func checkNoLeak(t *testing.T, db tenancyDB, mode runtime.DBMode) {
	t.Helper()
	tb := setupTenancy(t, []string{"acme", "globex"}, onePool(t, db, mode))
	outside := db.outsidePath(t, tb)
	pool, _ := tb.app.Pool("default")
	shared := pgx.Identifier{tb.shared}.Sanitize()
	sharedOnly := observed{Path: tb.shared, Schema: tb.shared, Items: "absent"}

	observe := func(ctx context.Context) (observed, error) {
		var o observed
		db, err := runtime.DB(ctx, "default")
		if err != nil {
			return o, err
		}
		// No statement may fail: in DBTransaction mode that would
		// abort the task's transaction.
		var exists bool
		err = db.QueryRow(ctx, "select current_setting('search_path'), current_schema(), to_regclass('items') is not null").Scan(&o.Path, &o.Schema, &exists)
		if err != nil {
			return o, err
		}
		o.Path = unquote(o.Path)
		o.Items = "absent"
		if exists {
			var n int
			if err := db.QueryRow(ctx, "select n from items where id = 1").Scan(&n); err != nil {
				return o, err
			}
			o.Items = fmt.Sprint(n)
		}
		return o, nil
	}
	seen := make(chan observed, 2)
	public := runtime.NewTask(runtime.TaskSpec{Name: "test.observe-public", Public: true, Retries: runtime.NoRetries}, func(ctx context.Context, _ runtime.NoArgs) error {
		o, err := observe(ctx)
		seen <- o
		return err
	})
	other := runtime.NewTask(runtime.TaskSpec{Name: "test.observe-globex", Retries: runtime.NoRetries}, func(ctx context.Context, _ runtime.NoArgs) error {
		o, err := observe(ctx)
		seen <- o
		return err
	})
	var ran atomic.Int64
	leaky := map[string]*runtime.Task[runtime.NoArgs]{}
	for _, lc := range leakCases {
		spec := runtime.TaskSpec{Name: "test.leak." + strings.ReplaceAll(lc.name, " ", "-"), Retries: runtime.NoRetries, Timeout: lc.timeout}
		leaky[lc.name] = runtime.NewTask(spec, func(ctx context.Context, _ runtime.NoArgs) error {
			ran.Add(1)
			tn, _ := runtime.TaskTenant(ctx)
			db, err := runtime.DB(ctx, "default")
			if err != nil {
				return err
			}
			path := pgx.Identifier{tn.Schema}.Sanitize() + ", " + shared
			return lc.body(ctx, db, path, pgx.Identifier{tn.Schema}.Sanitize())
		})
		if err := tb.reg.Register(leaky[lc.name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tb.reg.Register(public, other); err != nil {
		t.Fatal(err)
	}
	tb.run(t)

	dead := int64(0)
	for _, lc := range leakCases {
		// Twice: in DBStatement mode the first run of a statement
		// on a connection takes another path than the next.
		for round := 1; round <= 2; round++ {
			name := fmt.Sprintf("%s/round %d", lc.name, round)
			before := ran.Load()
			id, err := leaky[lc.name].Enqueue(t.Context(), tb.app, runtime.NoArgs{}, runtime.ForTenant("acme"))
			if err != nil {
				t.Fatal(err)
			}
			if lc.dead != "" {
				dead++
			}
			testenv.WaitFor(t, name+" to finish", func() bool {
				st, err := tb.app.Stats(t.Context(), "default")
				return err == nil && ran.Load() > before && st == runtime.QueueStats{Dead: dead}
			})
			if lc.dead != "" {
				if got := deadError(t, tb.app, id); !strings.Contains(got, lc.dead) {
					t.Errorf("%s: the task died with %q, want an error containing %q", name, firstLine(got), lc.dead)
				}
			}

			// A user of the pool outside tasks gets the connection
			// at once, on the shared schema.
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			var path string
			err = pool.QueryRow(ctx, "show search_path").Scan(&path)
			cancel()
			if err != nil {
				t.Fatalf("%s: show search_path outside tasks: %v (does the finished task still hold the only connection?)", name, err)
			}
			if unquote(path) != outside {
				t.Errorf("%s: outside tasks, search_path = %s, want %s", name, path, outside)
			}

			// So does a public task; globex's task sees globex.
			for _, obs := range []struct {
				task *runtime.Task[runtime.NoArgs]
				opts []runtime.EnqueueOption
				want observed
			}{
				{public, nil, sharedOnly},
				{other, []runtime.EnqueueOption{runtime.ForTenant("globex")}, observed{
					Path:   tb.schemas["globex"] + ", " + tb.shared,
					Schema: tb.schemas["globex"],
					Items:  "0",
				}},
			} {
				if _, err := obs.task.Enqueue(t.Context(), tb.app, runtime.NoArgs{}, obs.opts...); err != nil {
					t.Fatal(err)
				}
				select {
				case got := <-seen:
					if diff := cmp.Diff(obs.want, got); diff != "" {
						t.Errorf("%s: what %s saw (-want +got):\n%s", name, obs.task.Spec().Name, diff)
					}
				case <-time.After(testenv.Timeout):
					t.Fatalf("%s: %s did not run", name, obs.task.Spec().Name)
				}
			}
		}
	}
	// The connection itself, however it was reset or replaced.
	checkPoolClean(t, pool, outside)
}

// unquote drops the double quotes of a search_path value: PostgreSQL shows
// it as it was set, quoted or not. The test's schema names need no quotes.
func unquote(path string) string { return strings.ReplaceAll(path, `"`, "") }

// deadError returns the error of the dead task id of the default queue.
func deadError(t testing.TB, app *runtime.App, id runtime.TaskID) string {
	t.Helper()
	dead, err := app.DeadTasks(context.Background(), "default", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dead {
		if d.ID == id {
			return d.Error
		}
	}
	t.Fatalf("task %s is not in the dead letter set", id)
	return ""
}

// firstLine returns s up to its first newline: a panic's message without its
// stack.
func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
