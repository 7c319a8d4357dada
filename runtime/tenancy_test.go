package runtime_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
	"github.com/tenantgen/tenantgen/runtime/tenanttest"
)

// tenantMigrations are the per-tenant migrations of the tenancy tests: an
// items table with one row whose counter tasks increment.
var tenantMigrations = fstest.MapFS{
	"001_items.sql": {Data: []byte(`
create table items (id int primary key, n int not null default 0);
insert into items (id) values (1);`)},
	"002_notes.sql": {Data: []byte(`create table notes (body text not null);`)},
}

// tenancyBundle is a queue bundle with databases: a shared schema and
// tenant schemas of its own, dropped when the test ends.
type tenancyBundle struct {
	*queueBundle
	shared  string            // shared schema
	schemas map[string]string // tenant ID to schema
	pg      *pgxpool.Pool     // the test database, for checks
}

// setupTenancy opens an App whose databases "default", "replica" and
// "audit" are the test database, with a fresh shared schema holding the
// tenants table and a shared_notes table, and creates the given tenants,
// each in a schema of its own migrated with tenantMigrations.
func setupTenancy(t testing.TB, tenants []string, mod func(*runtime.Config)) *tenancyBundle {
	t.Helper()
	pg := testenv.Postgres(t)
	// Small pools: tests run in parallel under PostgreSQL's connection limit.
	url := testenv.DatabaseURL(t) + sep(testenv.DatabaseURL(t)) + "pool_max_conns=4"
	base := "tg_" + strings.ToLower(rand.Text()[:10])
	tb := &tenancyBundle{shared: base + "_shared", schemas: map[string]string{}, pg: pg}
	ctx := context.Background()
	t.Cleanup(func() {
		rows, err := pg.Query(ctx, "select nspname from pg_namespace where nspname like $1", base+"\\_%")
		if err != nil {
			return
		}
		var names []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			names = append(names, n)
		}
		for _, n := range names {
			pg.Exec(ctx, fmt.Sprintf("drop schema %q cascade", n))
		}
	})
	if _, err := pg.Exec(ctx, fmt.Sprintf("create schema %q; create table %[1]q.shared_notes (body text)", tb.shared)); err != nil {
		t.Fatal(err)
	}
	tb.queueBundle = setupQueue(t, func(c *runtime.Config) {
		c.Databases = map[string]string{"default": url, "replica": url, "audit": url}
		c.SharedSchema = tb.shared
		c.DefaultDBs = []string{"default"}
		if mod != nil {
			mod(c)
		}
	})
	if err := tb.app.CreateTenantsTable(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range tenants {
		tb.schemas[id] = base + "_" + strings.ReplaceAll(id, "-", "_")
		if err := tb.app.CreateTenant(ctx, runtime.Tenant{ID: id, Schema: tb.schemas[id], Name: strings.ToUpper(id)}, tenantMigrations); err != nil {
			t.Fatal(err)
		}
	}
	return tb
}

// sep returns the separator that adds a parameter to url.
func sep(url string) string {
	if strings.Contains(url, "?") {
		return "&"
	}
	return "?"
}

// counter returns the items counter of a tenant.
func (tb *tenancyBundle) counter(t testing.TB, id string) int {
	t.Helper()
	var n int
	q := fmt.Sprintf("select n from %q.items where id = 1", tb.schemas[id])
	if err := tb.pg.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// bump is the body of most tenancy test tasks: it increments the tenant's
// counter through the default database.
func bump(ctx context.Context) error {
	db, err := runtime.DB(ctx, "default")
	if err != nil {
		return err
	}
	_, err = db.Exec(ctx, "update items set n = n + 1 where id = 1")
	return err
}

// deadErrors returns the errors of the dead tasks of the default queue, by
// tenant.
func (tb *tenancyBundle) deadErrors(t testing.TB) map[string]string {
	t.Helper()
	dead, err := tb.app.DeadTasks(context.Background(), "default", 1000)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, d := range dead {
		m[d.Tenant] = d.Error
	}
	return m
}

func TestTenantTaskRunsInItsSchema(t *testing.T) {
	t.Parallel()
	tb := setupTenancy(t, []string{"acme", "globex", "initech"}, nil)
	type seen struct{ Default, Replica, Tenant, Audit string }
	var mu sync.Mutex
	got := map[string]seen{}
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.where", DBs: []string{"default", "replica"}}, func(ctx context.Context, _ runtime.NoArgs) error {
		var s seen
		for alias, dst := range map[string]*string{"default": &s.Default, "replica": &s.Replica} {
			db, err := runtime.DB(ctx, alias)
			if err != nil {
				return err
			}
			if err := db.QueryRow(ctx, "select current_schema()").Scan(dst); err != nil {
				return err
			}
		}
		if tn, ok := runtime.TaskTenant(ctx); ok {
			s.Tenant = tn.ID + "/" + tn.Name
		}
		if _, err := runtime.DB(ctx, "audit"); err != nil {
			s.Audit = err.Error()
		}
		if err := bump(ctx); err != nil {
			return err
		}
		id, _ := runtime.JobFrom(ctx)
		mu.Lock()
		got[id.Tenant] = s
		mu.Unlock()
		return nil
	})
	if err := tb.reg.Register(task); err != nil {
		t.Fatal(err)
	}
	tb.run(t)
	for _, id := range []string{"acme", "globex", "initech"} {
		ctx := runtime.WithTenant(t.Context(), id)
		if _, err := task.Enqueue(ctx, tb.app, runtime.NoArgs{}); err != nil {
			t.Fatal(err)
		}
	}
	testenv.WaitFor(t, "3 tasks", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 3 })
	undeclared := `tenantgen: task "test.where" did not declare database "audit": add it to the dbs= option of its //tenant:task directive (declared: default, replica)`
	want := map[string]seen{}
	for _, id := range []string{"acme", "globex", "initech"} {
		want[id] = seen{Default: tb.schemas[id], Replica: tb.schemas[id], Tenant: id + "/" + strings.ToUpper(id), Audit: undeclared}
		if n := tb.counter(t, id); n != 1 {
			t.Errorf("counter of %s = %d, want 1", id, n)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("what tasks saw (-want +got):\n%s", diff)
	}
}

func TestPublicTaskCannotReachTenantTables(t *testing.T) {
	t.Parallel()
	tb := setupTenancy(t, []string{"acme"}, nil)
	errc := make(chan error, 1)
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.public", Public: true, Retries: runtime.NoRetries}, func(ctx context.Context, _ runtime.NoArgs) error {
		if _, ok := runtime.TaskTenant(ctx); ok {
			return errors.New("public task has a tenant")
		}
		db, err := runtime.DB(ctx, "default")
		if err != nil {
			return err
		}
		if _, err := db.Exec(ctx, "insert into shared_notes (body) values ('ok')"); err != nil {
			return fmt.Errorf("shared table: %w", err)
		}
		_, err = db.Exec(ctx, "update items set n = n + 1")
		errc <- err
		return nil
	})
	if err := tb.reg.Register(task); err != nil {
		t.Fatal(err)
	}
	tb.run(t)
	if _, err := task.Enqueue(runtime.WithTenant(t.Context(), "acme"), tb.app, runtime.NoArgs{}); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-errc:
	case <-time.After(testenv.Timeout):
		t.Fatal("the public task did not run")
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42P01" {
		t.Fatalf("update of a tenant table from a public task: got %v, want undefined_table (42P01)", err)
	}
	if n := tb.counter(t, "acme"); n != 0 {
		t.Errorf("acme's counter = %d after a public task, want 0", n)
	}
}

func TestRetriedTaskKeepsItsTenant(t *testing.T) {
	t.Parallel()
	tb := setupTenancy(t, []string{"acme", "globex"}, nil)
	var mu sync.Mutex
	var attempts []string
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.flaky", Retries: 3}, func(ctx context.Context, _ runtime.NoArgs) error {
		tn, _ := runtime.TaskTenant(ctx)
		job, _ := runtime.JobFrom(ctx)
		mu.Lock()
		attempts = append(attempts, fmt.Sprintf("%s#%d", tn.ID, job.Attempt))
		mu.Unlock()
		if job.Attempt < 3 {
			return errors.New("not yet")
		}
		return bump(ctx)
	})
	if err := tb.reg.Register(task); err != nil {
		t.Fatal(err)
	}
	tb.run(t)
	// The ambient tenant is globex; the option wins.
	ctx := runtime.WithTenant(t.Context(), "globex")
	if _, err := task.Enqueue(ctx, tb.app, runtime.NoArgs{}, runtime.ForTenant("acme")); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "the third attempt", func() bool { return tb.counter(t, "acme") == 1 })
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"acme#1", "acme#2", "acme#3"}, attempts); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	if n := tb.counter(t, "globex"); n != 0 {
		t.Errorf("globex's counter = %d, want 0", n)
	}
}

func TestRefusedTenantsFailClosed(t *testing.T) {
	t.Parallel()
	// The worker's refusals are under test: enqueue without checking.
	tb := setupTenancy(t, []string{"acme", "deleted", "paused", "dropped"}, func(c *runtime.Config) { c.SkipTenantCheck = true })
	ctx := t.Context()
	if err := tb.app.DeleteTenant(ctx, "deleted"); err != nil {
		t.Fatal(err)
	}
	if err := tb.app.UpdateTenant(ctx, runtime.Tenant{ID: "paused", Schema: tb.schemas["paused"]}); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.pg.Exec(ctx, fmt.Sprintf("drop schema %q cascade", tb.schemas["dropped"])); err != nil {
		t.Fatal(err)
	}
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.bump", Retries: 5}, func(ctx context.Context, _ runtime.NoArgs) error { return bump(ctx) })
	if err := tb.reg.Register(task); err != nil {
		t.Fatal(err)
	}
	tb.run(t)
	for _, id := range []string{"ghost", "deleted", "paused", "dropped", "acme"} {
		if _, err := task.Enqueue(ctx, tb.app, runtime.NoArgs{}, runtime.ForTenant(id)); err != nil {
			t.Fatal(err)
		}
	}
	testenv.WaitFor(t, "acme's task", func() bool { return tb.counter(t, "acme") == 1 })
	var dead map[string]string
	testenv.WaitFor(t, "4 dead tasks", func() bool { dead = tb.deadErrors(t); return len(dead) == 4 })
	want := map[string]string{
		"ghost":   `permanent: tenant "ghost" refused: unknown tenant (deleted, or never created)`,
		"deleted": `permanent: tenant "deleted" refused: unknown tenant (deleted, or never created)`,
		"paused":  `permanent: tenant "paused" refused: not ready (still being provisioned or migrated, or disabled)`,
		"dropped": fmt.Sprintf(`permanent: tenant "dropped" refused: its schema %q does not exist; create it (App.CreateTenant) or delete the tenant`, tb.schemas["dropped"]),
	}
	if diff := cmp.Diff(want, dead); diff != "" {
		t.Errorf("dead tasks' errors (-want +got):\n%s", diff)
	}
}

func TestHostileNamesAreRejected(t *testing.T) {
	t.Parallel()
	tb := setupTenancy(t, nil, nil)
	ctx := t.Context()
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.bump"}, func(ctx context.Context, _ runtime.NoArgs) error { return bump(ctx) })
	hostile := map[string]string{
		`a"b`:                   "invalid tenant ID",
		"a'b":                   "invalid tenant ID",
		"a;drop schema public":  "invalid tenant ID",
		"a b":                   "invalid tenant ID",
		strings.Repeat("x", 65): "is 65 bytes long; the limit is 64",
		"{a}":                   "invalid tenant ID",
		"a\x00":                 "invalid tenant ID",
	}
	for id, want := range hostile {
		t.Run("tenant "+id, func(t *testing.T) {
			_, err := task.Enqueue(ctx, tb.app, runtime.NoArgs{}, runtime.ForTenant(id))
			wantError(t, err, want)
			err = tb.app.CreateTenant(ctx, runtime.Tenant{ID: id, Schema: "ok"}, tenantMigrations)
			wantError(t, err, want)
		})
	}
	schemas := map[string]string{
		`a"b`:                   "invalid schema name",
		"a'b":                   "invalid schema name",
		"a;drop":                "invalid schema name",
		"a b":                   "invalid schema name",
		strings.Repeat("s", 64): "is 64 bytes long; the limit is 63",
		"pg_x":                  "reserved by PostgreSQL",
		"Acme":                  "invalid schema name",
		tb.shared:               "is the shared schema",
	}
	for schema, want := range schemas {
		t.Run("schema "+schema, func(t *testing.T) {
			err := tb.app.CreateTenant(ctx, runtime.Tenant{ID: "x", Schema: schema}, tenantMigrations)
			wantError(t, err, want)
		})
	}
}

func TestCreateTenantIsIdempotent(t *testing.T) {
	t.Parallel()
	tb := setupTenancy(t, []string{"acme"}, nil)
	ctx := t.Context()
	more := fstest.MapFS{}
	for k, v := range tenantMigrations {
		more[k] = v
	}
	more["003_more.sql"] = &fstest.MapFile{Data: []byte("alter table items add column label text")}
	for range 2 {
		if err := tb.app.CreateTenant(ctx, runtime.Tenant{ID: "acme", Schema: tb.schemas["acme"]}, more); err != nil {
			t.Fatal(err)
		}
	}
	var applied []string
	rows, err := tb.pg.Query(ctx, fmt.Sprintf("select name from %q.tenantgen_migrations order by name", tb.schemas["acme"]))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		applied = append(applied, n)
	}
	if diff := cmp.Diff([]string{"001_items.sql", "002_notes.sql", "003_more.sql"}, applied); diff != "" {
		t.Errorf("applied migrations (-want +got):\n%s", diff)
	}
	err = tb.app.CreateTenant(ctx, runtime.Tenant{ID: "acme", Schema: "other"}, more)
	wantError(t, err, `it exists with schema`)
}

func TestForEachTenantSkipsUnready(t *testing.T) {
	t.Parallel()
	tb := setupTenancy(t, []string{"acme", "globex", "initech"}, nil)
	ctx := t.Context()
	if err := tb.app.UpdateTenant(ctx, runtime.Tenant{ID: "globex", Schema: tb.schemas["globex"]}); err != nil {
		t.Fatal(err)
	}
	var visited []string
	err := runtime.ForEachTenant(ctx, tb.app, func(ctx context.Context, tn *runtime.Tenant) error {
		task := runtime.NewTask(runtime.TaskSpec{Name: "test.x"}, func(context.Context, runtime.NoArgs) error { return nil })
		req, err := task.NewRequest(ctx, runtime.NoArgs{})
		if err != nil {
			return err
		}
		visited = append(visited, tn.ID+"="+req.Tenant)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"acme=acme", "initech=initech"}, visited); diff != "" {
		t.Errorf("visited (-want +got):\n%s", diff)
	}
}

func TestEnqueueEachTenant(t *testing.T) {
	t.Parallel()
	tb := setupTenancy(t, []string{"acme", "globex", "initech"}, nil)
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.bump"}, func(ctx context.Context, _ runtime.NoArgs) error { return bump(ctx) })
	if err := tb.reg.Register(task); err != nil {
		t.Fatal(err)
	}
	n, err := runtime.EnqueueEachTenant(t.Context(), tb.app, func(ctx context.Context, e runtime.Enqueuer) error {
		_, err := task.Enqueue(ctx, e, runtime.NoArgs{})
		return err
	})
	if err != nil || n != 3 {
		t.Fatalf("EnqueueEachTenant = %d, %v; want 3, nil", n, err)
	}
	tb.run(t)
	for _, id := range []string{"acme", "globex", "initech"} {
		testenv.WaitFor(t, id+"'s task", func() bool { return tb.counter(t, id) == 1 })
	}
}

func TestChildTaskKeepsTheTenant(t *testing.T) {
	t.Parallel()
	tb := setupTenancy(t, []string{"acme", "globex"}, nil)
	child := runtime.NewTask(runtime.TaskSpec{Name: "test.child"}, func(ctx context.Context, _ runtime.NoArgs) error { return bump(ctx) })
	parent := runtime.NewTask(runtime.TaskSpec{Name: "test.parent"}, func(ctx context.Context, _ runtime.NoArgs) error {
		// The task's context carries its tenant: no ForTenant needed.
		_, err := child.Enqueue(ctx, tb.app, runtime.NoArgs{})
		return err
	})
	if err := tb.reg.Register(child, parent); err != nil {
		t.Fatal(err)
	}
	tb.run(t)
	if _, err := parent.Enqueue(runtime.WithTenant(t.Context(), "globex"), tb.app, runtime.NoArgs{}); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "globex's child task", func() bool { return tb.counter(t, "globex") == 1 })
	if n := tb.counter(t, "acme"); n != 0 {
		t.Errorf("acme's counter = %d, want 0", n)
	}
}

func TestDBTransactionRollsBackFailedTasks(t *testing.T) {
	t.Parallel()
	tb := setupTenancy(t, []string{"acme"}, func(c *runtime.Config) { c.DBMode = runtime.DBTransaction })
	var mu sync.Mutex
	seen := map[int]int{}
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.bump-then-fail", Retries: 2}, func(ctx context.Context, _ runtime.NoArgs) error {
		db, err := runtime.DB(ctx, "default")
		if err != nil {
			return err
		}
		var n int
		if err := db.QueryRow(ctx, "update items set n = n + 1 where id = 1 returning n").Scan(&n); err != nil {
			return err
		}
		job, _ := runtime.JobFrom(ctx)
		mu.Lock()
		seen[job.Attempt] = n
		mu.Unlock()
		if job.Attempt < 3 {
			return errors.New("fail after the update")
		}
		return nil
	})
	if err := tb.reg.Register(task); err != nil {
		t.Fatal(err)
	}
	tb.run(t)
	if _, err := task.Enqueue(t.Context(), tb.app, runtime.NoArgs{}, runtime.ForTenant("acme")); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "the committed third attempt", func() bool { return tb.counter(t, "acme") == 1 })
	mu.Lock()
	defer mu.Unlock()
	// Each attempt saw the counter at 1: the failed ones rolled back.
	if diff := cmp.Diff(map[int]int{1: 1, 2: 1, 3: 1}, seen); diff != "" {
		t.Errorf("counter seen by each attempt (-want +got):\n%s", diff)
	}
}

// Tasks run inline by tenanttest get their tenant and databases through
// App.Tenancy, as on a worker.
func TestTenancyInline(t *testing.T) {
	t.Parallel()
	tb := setupTenancy(t, []string{"acme", "globex"}, nil)
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.bump"}, func(ctx context.Context, _ runtime.NoArgs) error { return bump(ctx) })
	reg := runtime.NewRegistry()
	if err := reg.Register(task); err != nil {
		t.Fatal(err)
	}
	q := tenanttest.New(t, reg, tenanttest.Middleware(tb.app.Tenancy), tenanttest.FailOnError())
	for _, id := range []string{"acme", "globex", "globex"} {
		if _, err := task.Enqueue(runtime.WithTenant(t.Context(), id), q, runtime.NoArgs{}); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]int{"acme": tb.counter(t, "acme"), "globex": tb.counter(t, "globex")}
	if diff := cmp.Diff(map[string]int{"acme": 1, "globex": 2}, got); diff != "" {
		t.Errorf("counters (-want +got):\n%s", diff)
	}
}

func TestAppFromAndTenant(t *testing.T) {
	t.Parallel()
	tb := setupTenancy(t, []string{"acme"}, nil)
	ctx := t.Context()
	got := make(chan *runtime.App, 1)
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.app"}, func(ctx context.Context, _ runtime.NoArgs) error {
		a, _ := runtime.AppFrom(ctx)
		got <- a
		return nil
	})
	if err := tb.reg.Register(task); err != nil {
		t.Fatal(err)
	}
	tb.run(t)
	if _, err := task.Enqueue(ctx, tb.app, runtime.NoArgs{}, runtime.ForTenant("acme")); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-got:
		if a != tb.app {
			t.Errorf("AppFrom in a task = %p, want the worker's App %p", a, tb.app)
		}
	case <-time.After(testenv.Timeout):
		t.Fatal("the task did not run")
	}
	if _, ok := runtime.AppFrom(ctx); ok {
		t.Error("AppFrom outside a task reported an App")
	}

	tests := []struct {
		id      string
		want    string // tenant name, or "" for an error
		unknown bool
	}{
		{"acme", "ACME", false},
		{"ghost", "", true},
		{"a'b", "", true},
	}
	for _, tt := range tests {
		tn, err := tb.app.Tenant(ctx, tt.id)
		switch {
		case tt.unknown && !errors.Is(err, runtime.ErrUnknownTenant):
			t.Errorf("Tenant(%q) = %v, %v; want ErrUnknownTenant", tt.id, tn, err)
		case !tt.unknown && (err != nil || tn.Name != tt.want):
			t.Errorf("Tenant(%q) = %v, %v; want %s", tt.id, tn, err, tt.want)
		}
	}
}

func TestBatch(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil)
	ctx := runtime.WithTenant(t.Context(), "acme")
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.unique", Unique: time.Hour}, func(context.Context, echoArgs) error { return nil })
	batch := b.app.NewBatch()
	var ids []runtime.TaskID
	for _, n := range []int{1, 2, 1} { // the second 1 is a duplicate
		id, err := task.Enqueue(ctx, batch, echoArgs{N: n})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if batch.Len() != 3 {
		t.Fatalf("Len = %d before Flush, want 3", batch.Len())
	}
	n, err := batch.Flush(t.Context())
	if err != nil || n != 2 {
		t.Fatalf("Flush = %d, %v; want 2 enqueued, no error", n, err)
	}
	if batch.Len() != 0 {
		t.Errorf("Len = %d after Flush, want 0", batch.Len())
	}
	st, err := b.app.Stats(t.Context(), "default")
	if err != nil || st.Ready != 2 {
		t.Errorf("Stats = %+v, %v; want 2 ready tasks", st, err)
	}
	if ids[0] == ids[1] || ids[0] == ids[2] {
		t.Errorf("batch IDs %v are not distinct", ids)
	}
}
