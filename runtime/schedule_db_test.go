package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/runtime"
)

// setupTables returns a tenancy bundle whose shared schema and tenant
// schemas have periodic tasks tables, and a scheduler that reads them.
func setupTables(t *testing.T, tenants ...string) (*tenancyBundle, *schedBundle, *runtime.Scheduler) {
	t.Helper()
	tb := setupTenancy(t, tenants, nil)
	registerNoop(t, tb.reg, runtime.TaskSpec{Name: "report"}, runtime.TaskSpec{Name: "cleanup", Public: true})
	ctx := context.Background()
	if err := tb.app.CreatePeriodicTasksTable(ctx, ""); err != nil {
		t.Fatal(err)
	}
	for _, id := range tenants {
		if err := tb.app.CreatePeriodicTasksTable(ctx, tb.schemas[id]); err != nil {
			t.Fatal(err)
		}
	}
	b := &schedBundle{queueBundle: tb.queueBundle, clock: newFakeClock(t0), rdb: tb.cfg.Redis}
	// A lease that a slow tick on a loaded machine cannot outlive: these
	// tests are about the tables, not leases.
	s := b.scheduler(t, func(c *runtime.SchedulerConfig) {
		c.Tables = true
		c.LeaseTTL, c.Grace = 5*time.Second, 10*time.Second
	})
	return tb, b, s
}

// exec runs SQL in the test database, formatted with args.
func (tb *tenancyBundle) exec(t testing.TB, format string, args ...any) {
	t.Helper()
	if _, err := tb.pg.Exec(context.Background(), fmt.Sprintf(format, args...)); err != nil {
		t.Fatal(err)
	}
}

// runs returns the run count and last run of the row name of schema.
func (tb *tenancyBundle) runs(t testing.TB, schema, name string) (int, bool, time.Time) {
	t.Helper()
	var n int
	var enabled bool
	var last *time.Time
	q := fmt.Sprintf("select total_run_count, enabled, last_run_at from %q.tenantgen_periodic_tasks where name = $1", schema)
	if err := tb.pg.QueryRow(context.Background(), q, name).Scan(&n, &enabled, &last); err != nil {
		t.Fatal(err)
	}
	if last == nil {
		return n, enabled, time.Time{}
	}
	return n, enabled, last.UTC()
}

// tickAllowing calls s.Tick and returns its error's text, for ticks whose
// problems are expected.
func tickAllowing(t testing.TB, s *runtime.Scheduler) string {
	t.Helper()
	if err := s.Tick(context.Background()); err != nil {
		return err.Error()
	}
	return ""
}

// The peer's database scheduler scenarios: rows of the shared schema and of
// tenant schemas, a tenant whose schema is the shared one, duplicates, a
// changed row, run counts in the owning schema, clocked one-offs.
func TestScheduleTables(t *testing.T) {
	t.Parallel()
	tb, b, s := setupTables(t, "acme", "globex")
	shared, acme, globex := tb.shared, tb.schemas["acme"], tb.schemas["globex"]
	// A tenant whose schema is the shared one must not read it twice.
	tb.exec(t, "insert into %q.tenants (id, schema_name, ready) values ('pub', %s, true)", shared, quoteLit(shared))
	tb.exec(t, "insert into %q.tenantgen_periodic_tasks (name, task, every_seconds) values ('cleanup', 'cleanup', 60), ('all-reports', 'report', 60)", shared)
	tb.exec(t, "insert into %q.tenantgen_periodic_tasks (name, task, every_seconds, tenants) values ('globex-only', 'report', 60, '{globex}')", shared)
	tb.exec(t, "insert into %q.tenantgen_periodic_tasks (name, task, cron) values ('report', 'report', '* * * * *'), ('dup@x', 'report', '@daily')", acme)
	tb.exec(t, "insert into %q.tenantgen_periodic_tasks (name, task, every_seconds) values ('report', 'report', 60), ('dup@x', 'report', 60)", globex)
	tb.exec(t, "insert into %q.tenantgen_periodic_tasks (name, task, every_seconds) values ('bad', 'nope', 60)", globex)

	problems := tickAllowing(t, s)
	for _, want := range []string{
		fmt.Sprintf(`duplicate periodic task name "dup@x" in schema %q, first seen in schema %q`, globex, acme),
		fmt.Sprintf(`periodic task "bad" of schema %q: task "nope" is not registered`, globex),
	} {
		if !strings.Contains(problems, want) {
			t.Errorf("tick problems %q do not contain %q", problems, want)
		}
	}
	b.clock.Add(time.Minute)
	tickAllowing(t, s)
	want := []string{
		"cleanup@",
		"report@acme", "report@acme", // all-reports, report@acme
		"report@globex", "report@globex", "report@globex", // all-reports, globex-only, report@globex
	}
	if diff := cmp.Diff(want, targets(b.queued(t))); diff != "" {
		t.Errorf("enqueued tasks mismatch (-want +got):\n%s", diff)
	}
	tick1 := t0.Add(time.Minute)
	type runs struct {
		N       int
		Enabled bool
		Last    time.Time
	}
	check := func(schema, name string, want runs) {
		t.Helper()
		n, enabled, last := tb.runs(t, schema, name)
		if diff := cmp.Diff(want, runs{n, enabled, last}); diff != "" {
			t.Errorf("row %q of schema %q mismatch (-want +got):\n%s", name, schema, diff)
		}
	}
	check(shared, "cleanup", runs{1, true, tick1})
	check(acme, "report", runs{1, true, tick1})
	check(globex, "report", runs{1, true, tick1})
	check(globex, "dup@x", runs{0, true, time.Time{}})

	// A changed row takes effect at the next tick.
	tb.exec(t, "update %q.tenantgen_periodic_tasks set enabled = false where name = 'report'", globex)
	tb.exec(t, "update %q.tenantgen_periodic_tasks set every_seconds = 120 where name = 'cleanup'", shared)
	b.clock.Add(time.Minute)
	tickAllowing(t, s)
	check(globex, "report", runs{1, false, tick1})
	check(acme, "report", runs{2, true, tick1.Add(time.Minute)})
	check(shared, "cleanup", runs{2, true, tick1.Add(time.Minute)}) // 10:02 is a multiple of 120 s
	b.clock.Add(time.Minute)
	tickAllowing(t, s)
	check(shared, "cleanup", runs{2, true, tick1.Add(time.Minute)})
}

// quoteLit quotes s as an SQL string literal.
func quoteLit(s string) string { return "'" + s + "'" }

func TestScheduleTablesOneOff(t *testing.T) {
	t.Parallel()
	tb, b, s := setupTables(t, "acme")
	shared, acme := tb.shared, tb.schemas["acme"]
	tb.exec(t, "insert into %q.tenantgen_periodic_tasks (name, task, clocked_at) values ('once', 'cleanup', '1990-01-01T00:00:00Z')", shared)
	tb.exec(t, "insert into %q.tenantgen_periodic_tasks (name, task, clocked_at) values ('once', 'report', '1990-01-01T00:00:00Z')", acme)
	tb.exec(t, "insert into %q.tenantgen_periodic_tasks (name, task, clocked_at) values ('later', 'report', '2030-01-01T00:00:00Z')", acme)
	for range 3 {
		tick(t, s)
		b.clock.Add(time.Minute)
	}
	if diff := cmp.Diff([]string{"cleanup@", "report@acme"}, targets(b.queued(t))); diff != "" {
		t.Errorf("enqueued tasks mismatch (-want +got):\n%s", diff)
	}
	clocked := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, schema := range []string{shared, acme} {
		n, enabled, last := tb.runs(t, schema, "once")
		if n != 1 || enabled || !last.Equal(clocked) {
			t.Errorf("one-off of schema %q: %d runs, enabled %v, last run %v; want 1, false, %v", schema, n, enabled, last, clocked)
		}
	}
	if n, enabled, _ := tb.runs(t, acme, "later"); n != 0 || !enabled {
		t.Errorf("future one-off: %d runs, enabled %v; want 0, true", n, enabled)
	}
}
