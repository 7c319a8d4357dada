package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// execModes are pgx's five query exec modes, as URLs name them
// (default_query_exec_mode).
var execModes = []string{"cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol"}

// dbModes are the App's two ways of switching a task's databases.
var dbModes = []runtime.DBMode{runtime.DBStatement, runtime.DBTransaction}

// withExecMode returns url asking pgx for the query exec mode mode.
func withExecMode(url, mode string) string {
	return url + sep(url) + "default_query_exec_mode=" + mode
}

// TestEveryStatementInEveryExecMode sends every kind of statement the
// runtime sends, and those a task sends through its handles, in each of
// pgx's query exec modes and both DB modes, one small App each.
func TestEveryStatementInEveryExecMode(t *testing.T) {
	t.Parallel()
	url := testenv.DatabaseURL(t)
	for _, mode := range execModes {
		for _, dbMode := range dbModes {
			t.Run(mode+"/"+dbMode.String(), func(t *testing.T) {
				t.Parallel()
				checkEveryStatement(t, withExecMode(url, mode), dbMode)
			})
		}
	}
}

// workArgs are the arguments of the task of checkEveryStatement.
type workArgs struct {
	N int `json:"n"`
}

// checkEveryStatement runs, on an App whose only database is url, with
// dbMode: provisioning (with and without attributes), tenant lookups
// (one, a batch, all), updating and deleting tenants, migrating every
// tenant, the periodic tasks tables and a scheduler tick that reads them,
// and tasks that use every method of their database handle, twice per
// tenant, so that a pooled connection meets each statement for the first
// time and again.
func checkEveryStatement(t *testing.T, url string, dbMode runtime.DBMode) {
	t.Helper()
	tb := setupTenancy(t, []string{"acme", "globex"}, func(c *runtime.Config) {
		c.Databases = map[string]string{"default": url + sep(url) + "pool_max_conns=2"}
		c.DBMode = dbMode
	})
	ctx := t.Context()
	app := tb.app
	base := strings.TrimSuffix(tb.schemas["acme"], "_acme")

	// Provisioning with attributes, and the lookups.
	initech := runtime.Tenant{ID: "initech", Schema: base + "_initech", Name: "Initech", Attrs: map[string]string{"plan": "pro"}}
	if err := app.CreateTenant(ctx, initech, tenantMigrations); err != nil {
		t.Fatalf("CreateTenant with attributes: %v", err)
	}
	tb.schemas["initech"] = initech.Schema
	lookup := func(want runtime.Tenant) {
		t.Helper()
		got, err := app.Tenant(ctx, want.ID)
		if err != nil {
			t.Fatalf("Tenant(%q): %v", want.ID, err)
		}
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("Tenant(%q) (-want +got):\n%s", want.ID, diff)
		}
	}
	initech.Ready = true
	lookup(initech)
	initech.Attrs = map[string]string{"plan": "free", "region": "eu"}
	if err := app.UpdateTenant(ctx, initech); err != nil {
		t.Fatalf("UpdateTenant: %v", err)
	}
	lookup(initech)
	lookup(runtime.Tenant{ID: "acme", Schema: tb.schemas["acme"], Name: "ACME", Ready: true, Attrs: map[string]string{}})
	var listed []string
	if err := runtime.ForEachTenant(ctx, app, func(_ context.Context, tn *runtime.Tenant) error {
		listed = append(listed, tn.ID)
		return nil
	}); err != nil {
		t.Fatalf("ForEachTenant: %v", err)
	}
	if diff := cmp.Diff([]string{"acme", "globex", "initech"}, listed); diff != "" {
		t.Errorf("ForEachTenant (-want +got):\n%s", diff)
	}

	// Migrating every tenant.
	more := maps.Clone(tenantMigrations)
	more["003_tags.sql"] = &fstest.MapFile{Data: []byte("create table tags (name text primary key);")}
	if err := app.MigrateTenants(ctx, more); err != nil {
		t.Fatalf("MigrateTenants: %v", err)
	}
	for id, schema := range tb.schemas {
		var ok bool
		if err := tb.pg.QueryRow(ctx, "select to_regclass($1) is not null", schema+".tags").Scan(&ok); err != nil || !ok {
			t.Errorf("tenant %s: no tags table after MigrateTenants (%v)", id, err)
		}
	}

	// The periodic tasks tables, read by a scheduler tick.
	registerNoop(t, tb.reg, runtime.TaskSpec{Name: "exec.report"})
	for _, schema := range []string{"", tb.schemas["acme"]} {
		if err := app.CreatePeriodicTasksTable(ctx, schema); err != nil {
			t.Fatalf("CreatePeriodicTasksTable(%q): %v", schema, err)
		}
	}
	tb.exec(t, "insert into %q.tenantgen_periodic_tasks (name, task, every_seconds) values ('all', 'exec.report', 60)", tb.shared)
	tb.exec(t, "insert into %q.tenantgen_periodic_tasks (name, task, cron) values ('mine', 'exec.report', '* * * * *')", tb.schemas["acme"])
	sb := &schedBundle{queueBundle: tb.queueBundle, clock: newFakeClock(t0), rdb: tb.cfg.Redis}
	// A lease that a slow tick on a loaded machine cannot outlive: this
	// test is about statements, not leases.
	s := sb.scheduler(t, func(c *runtime.SchedulerConfig) {
		c.Tables = true
		c.LeaseTTL, c.Grace = 5*time.Second, 10*time.Second
	})
	tick(t, s)
	sb.clock.Add(time.Minute)
	tick(t, s)
	if diff := cmp.Diff([]string{"exec.report@acme", "exec.report@acme", "exec.report@globex", "exec.report@initech"}, targets(sb.queued(t))); diff != "" {
		t.Errorf("tasks the tick enqueued (-want +got):\n%s", diff)
	}
	for schema, name := range map[string]string{tb.shared: "all", tb.schemas["acme"]: "mine"} {
		if n, _, _ := tb.runs(t, schema, name); n != 1 {
			t.Errorf("periodic task %q of schema %q: %d runs, want 1", name, schema, n)
		}
	}

	// Tasks, through every method of their handle.
	var mu sync.Mutex
	seen := map[string][]string{} // tenant: the schema each statement saw, in order
	done := 0
	work := runtime.NewTask(runtime.TaskSpec{Name: "exec.work", Retries: runtime.NoRetries}, func(ctx context.Context, a workArgs) error {
		schemas, err := useEveryMethod(ctx, a.N)
		tn, _ := runtime.TaskTenant(ctx)
		mu.Lock()
		defer mu.Unlock()
		seen[tn.ID] = append(seen[tn.ID], schemas...)
		done++
		return err
	})
	if err := tb.reg.Register(work); err != nil {
		t.Fatal(err)
	}
	tb.run(t)
	ids := []string{"acme", "globex", "initech"}
	for _, id := range ids {
		for n := 1; n <= 2; n++ {
			if _, err := work.Enqueue(ctx, app, workArgs{N: n}, runtime.ForTenant(id)); err != nil {
				t.Fatal(err)
			}
		}
	}
	testenv.WaitFor(t, "6 tasks", func() bool { mu.Lock(); defer mu.Unlock(); return done == 6 })
	// In DBTransaction mode the commit follows the task's return: the
	// queue is empty once every task has committed and been acknowledged.
	testenv.WaitFor(t, "an empty queue", func() bool {
		st, err := app.Stats(ctx, "default")
		if err == nil && st.Dead > 0 {
			t.Fatalf("dead tasks: %v", tb.deadErrors(t))
		}
		return err == nil && st == runtime.QueueStats{}
	})
	counters := tb.counters(t)
	for _, id := range ids {
		want := slices.Repeat([]string{tb.schemas[id]}, 2*len(everyMethod))
		if diff := cmp.Diff(want, seen[id]); diff != "" {
			t.Errorf("tenant %s: current_schema() of each statement (-want +got):\n%s", id, diff)
		}
		if counters[id] != 3 {
			t.Errorf("tenant %s: counter %d, want 3 (1 + 2)", id, counters[id])
		}
		var notes int
		if err := tb.pg.QueryRow(ctx, fmt.Sprintf("select count(*) from %q.notes", tb.schemas[id])).Scan(&notes); err != nil {
			t.Fatal(err)
		}
		if want := 2 * 4; notes != want {
			t.Errorf("tenant %s: %d notes, want %d (4 per task)", id, notes, want)
		}
	}

	// Deleting a tenant.
	if err := app.DeleteTenant(ctx, "initech"); err != nil {
		t.Fatalf("DeleteTenant: %v", err)
	}
	if _, err := app.Tenant(ctx, "initech"); !errors.Is(err, runtime.ErrUnknownTenant) {
		t.Errorf("Tenant after DeleteTenant: %v, want ErrUnknownTenant", err)
	}
}

// everyMethod names the statements of useEveryMethod that report the
// schema they saw, in order.
var everyMethod = []string{"Exec with arguments", "Query without arguments", "QueryRow with arguments", "SendBatch", "Begin", "CopyFrom"}

// useEveryMethod is the body of checkEveryStatement's task: it adds n to
// the tenant's counter and 4 notes, through each method of the default
// database's handle, and returns the schema each saw (everyMethod).
func useEveryMethod(ctx context.Context, n int) ([]string, error) {
	db, err := runtime.DB(ctx, "default")
	if err != nil {
		return nil, err
	}
	var schemas []string
	schema := func() error {
		var s string
		err := db.QueryRow(ctx, "select current_schema()").Scan(&s)
		schemas = append(schemas, s)
		return err
	}
	if _, err := db.Exec(ctx, "update items set n = n + $1 where id = 1", n); err != nil {
		return schemas, fmt.Errorf("Exec with arguments: %w", err)
	}
	if err := schema(); err != nil {
		return schemas, err
	}
	if _, err := db.Exec(ctx, "insert into notes (body) values ('without arguments')"); err != nil {
		return schemas, fmt.Errorf("Exec without arguments: %w", err)
	}
	rows, err := db.Query(ctx, "select current_schema() from notes limit 1")
	if err != nil {
		return schemas, fmt.Errorf("Query: %w", err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return schemas, fmt.Errorf("Query: %w", err)
	}
	schemas = append(schemas, got...)
	var s string
	var counter int
	if err := db.QueryRow(ctx, "select n, current_schema() from items where id = $1", 1).Scan(&counter, &s); err != nil {
		return schemas, fmt.Errorf("QueryRow: %w", err)
	}
	schemas = append(schemas, s)
	b := &pgx.Batch{}
	b.Queue("insert into notes (body) values ($1)", "batch")
	b.Queue("select current_schema()").QueryRow(func(r pgx.Row) error { return r.Scan(&s) })
	if err := db.SendBatch(ctx, b).Close(); err != nil {
		return schemas, fmt.Errorf("SendBatch: %w", err)
	}
	schemas = append(schemas, s)
	tx, err := db.Begin(ctx)
	if err != nil {
		return schemas, fmt.Errorf("Begin: %w", err)
	}
	if _, err := tx.Exec(ctx, "insert into notes (body) values ($1)", "transaction"); err != nil {
		tx.Rollback(ctx)
		return schemas, fmt.Errorf("Begin: %w", err)
	}
	if err := tx.QueryRow(ctx, "select current_schema()").Scan(&s); err != nil {
		tx.Rollback(ctx)
		return schemas, fmt.Errorf("Begin: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return schemas, fmt.Errorf("Commit: %w", err)
	}
	schemas = append(schemas, s)
	if _, err := db.CopyFrom(ctx, pgx.Identifier{"notes"}, []string{"body"}, pgx.CopyFromRows([][]any{{"copy"}})); err != nil {
		return schemas, fmt.Errorf("CopyFrom: %w", err)
	}
	return schemas, schema()
}
