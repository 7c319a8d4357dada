package service

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/tenantgen/tenantgen/runtime"
)

// TenantTables are the tables of a tenant's schema that tasks write to,
// counted by Report.
var TenantTables = []string{"customers", "invoices", "charges", "usage_events", "ledger_syncs", "digests"}

// TenantReport is what the tasks of one tenant did, read from its schema and
// the dead letter sets.
type TenantReport struct {
	Tenant string
	Schema string

	TasksRun int // finished tasks, from the tenant's activity table
	Retries  int // retries the finished tasks needed
	Dead     int // tasks of the tenant in the dead letter sets

	// Rows counts the rows of each table of TenantTables in the tenant's
	// schema.
	Rows map[string]int

	// Foreign counts activity rows that name another tenant or schema
	// than this one's: a task that ran in the wrong schema. Always 0.
	Foreign int
}

// RowsTotal returns the sum of r.Rows.
func (r TenantReport) RowsTotal() int {
	n := 0
	for _, v := range r.Rows {
		n += v
	}
	return n
}

// SharedReport is what public tasks did in the shared schema.
type SharedReport struct {
	RateRefreshes int // runs of RefreshRates
	Rates         int // rows of the rates table
	Dispatches    int // runs of DispatchDigests
	Dead          int // public tasks in the dead letter sets
}

// TasksRun returns how many public tasks finished.
func (r SharedReport) TasksRun() int { return r.RateRefreshes + r.Dispatches }

// Rows returns the rows of the shared tables that public tasks write.
func (r SharedReport) Rows() int { return r.Rates + r.RateRefreshes + r.Dispatches }

// Report reads what the tasks of every tenant of Tenants did.
func Report(ctx context.Context, app *runtime.App, s Settings) ([]TenantReport, SharedReport, error) {
	var shared SharedReport
	pool, ok := app.Pool("default")
	if !ok {
		return nil, shared, errors.New("report: the App has no database \"default\"")
	}
	dead := map[string]int{}
	for _, q := range slices.Sorted(maps.Keys(Queues)) {
		tasks, err := app.DeadTasks(ctx, q, 1000)
		if err != nil {
			return nil, shared, fmt.Errorf("report: %w", err)
		}
		for _, d := range tasks {
			dead[d.Tenant]++
		}
	}
	shared.Dead = dead[""]
	q := fmt.Sprintf("select (select count(*) from %s), (select count(*) from %s), (select count(*) from %s)",
		pgx.Identifier{s.SharedSchema(), "rate_refreshes"}.Sanitize(), pgx.Identifier{s.SharedSchema(), "rates"}.Sanitize(),
		pgx.Identifier{s.SharedSchema(), "digest_dispatches"}.Sanitize())
	if err := pool.QueryRow(ctx, q).Scan(&shared.RateRefreshes, &shared.Rates, &shared.Dispatches); err != nil {
		return nil, shared, fmt.Errorf("report: shared schema: %w", err)
	}
	var reports []TenantReport
	for _, t := range Tenants {
		r := TenantReport{Tenant: t.ID, Schema: s.TenantSchema(t.ID), Dead: dead[t.ID], Rows: map[string]int{}}
		b := &pgx.Batch{}
		b.Queue(fmt.Sprintf(`select count(*), coalesce(sum(attempt - 1), 0), count(*) filter (where tenant_id <> $1 or schema_name <> $2) from %s`,
			pgx.Identifier{r.Schema, "activity"}.Sanitize()), t.ID, r.Schema).QueryRow(func(row pgx.Row) error {
			return row.Scan(&r.TasksRun, &r.Retries, &r.Foreign)
		})
		for _, table := range TenantTables {
			b.Queue("select count(*) from " + pgx.Identifier{r.Schema, table}.Sanitize()).QueryRow(func(row pgx.Row) error {
				var n int
				err := row.Scan(&n)
				r.Rows[table] = n
				return err
			})
		}
		if err := pool.SendBatch(ctx, b).Close(); err != nil {
			return nil, shared, fmt.Errorf("report: tenant %q: %w", t.ID, err)
		}
		reports = append(reports, r)
	}
	return reports, shared, nil
}
