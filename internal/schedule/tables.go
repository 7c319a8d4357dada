package schedule

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// periodicTable is the name of the periodic tasks table in each schema.
const periodicTable = "tenantgen_periodic_tasks"

// tablesPerQuery bounds the schemas read by one statement of the UNION ALL
// that loads the periodic tasks tables; the statements of one load travel
// in one round trip.
const tablesPerQuery = 500

// DB is the database holding the periodic tasks tables; *pgxpool.Pool is
// one.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// loadTables reads the enabled rows of the periodic tasks tables of the
// shared schema and of the schemas of the tenants that tenants returns, in
// two round trips whatever the number of schemas: one finds the schemas
// that have the table, one reads them all with UNION ALL. It returns the
// rows as entries and the problems of rows it skipped.
func (e *Engine) loadTables(ctx context.Context, tenants func() ([]Tenant, error)) ([]*Entry, []error, error) {
	db := e.cfg.Tables
	list, err := tenants()
	if err != nil {
		return nil, nil, err
	}
	rows, err := db.Query(ctx, `select n.nspname from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.relname = $1 and c.relkind in ('r', 'p')`, periodicTable)
	if err != nil {
		return nil, nil, fmt.Errorf("tenantgen: find periodic tasks tables: %w", err)
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, nil, fmt.Errorf("tenantgen: find periodic tasks tables: %w", err)
	}
	shared := e.cfg.SharedSchema
	// The shared schema first, then tenant schemas in tenant ID order: a
	// duplicate name keeps the row seen first. A tenant whose schema is
	// the shared one adds nothing (its tasks would not run anyway).
	schemas := []string{}
	owner := map[string]*Tenant{}
	if slices.Contains(have, shared) {
		schemas = append(schemas, shared)
	}
	for i := range list {
		t := &list[i]
		if t.Schema != shared && owner[t.Schema] == nil && slices.Contains(have, t.Schema) {
			schemas = append(schemas, t.Schema)
			owner[t.Schema] = t
		}
	}
	if len(schemas) == 0 {
		return nil, nil, nil
	}
	all, err := readTables(ctx, db, schemas)
	if err != nil {
		return nil, nil, err
	}

	var entries []*Entry
	var problems []error
	seen := map[string]string{} // entry ID to schema
	for _, r := range all {
		schema := schemas[r.ord]
		id := r.name
		if !strings.Contains(id, "@") {
			id += "@" + schema
		}
		if first, dup := seen[id]; dup {
			problems = append(problems, fmt.Errorf("duplicate periodic task name %q in schema %q, first seen in schema %q: row skipped", id, schema, first))
			continue
		}
		seen[id] = schema
		bad := func(format string, args ...any) {
			problems = append(problems, fmt.Errorf("periodic task %q of schema %q: %s: row skipped", r.name, schema, fmt.Sprintf(format, args...)))
		}
		public, ok := e.cfg.Lookup(r.task)
		if !ok {
			bad("task %q is not registered", r.task)
			continue
		}
		en := &Entry{id: id, name: r.name, task: r.task, public: public, args: []byte(r.args), schema: schema, spread: max(e.cfg.Spread, 0)}
		if r.lastRun != nil {
			en.lastRun = *r.lastRun
		}
		if r.clocked != nil {
			en.clocked = *r.clocked
		} else if en.timing, err = newTiming(r.cron, time.Duration(r.every)*time.Second); err != nil {
			bad("%v", err)
			continue
		}
		switch t := owner[schema]; {
		case t != nil && en.public:
			bad("task %q is public and runs in the shared schema; schedule it in schema %q", r.task, shared)
			continue
		case t != nil:
			en.tenants = []string{t.ID}
		case en.public && r.tenants != nil:
			bad("task %q is public and runs without a tenant; clear the tenants column", r.task)
			continue
		case r.tenants != nil:
			en.tenants = r.tenants
			if len(en.tenants) == 0 {
				en.tenants = []string{} // an empty list: no tenant at all
			}
		}
		entries = append(entries, en)
	}
	return entries, problems, nil
}

// row is a row of a periodic tasks table; ord is its schema's index.
type row struct {
	ord              int
	name, task, args string
	cron             string
	every            int64
	clocked, lastRun *time.Time
	tenants          []string
}

// readTables reads the enabled rows of the tables of schemas in one round
// trip, sorted by schema (in the order of schemas) and name.
func readTables(ctx context.Context, db DB, schemas []string) ([]row, error) {
	batch := &pgx.Batch{}
	for start := 0; start < len(schemas); start += tablesPerQuery {
		var q strings.Builder
		for i := start; i < min(start+tablesPerQuery, len(schemas)); i++ {
			if i > start {
				q.WriteString("\nunion all\n")
			}
			fmt.Fprintf(&q, "select %d, name, task, args::text, coalesce(cron, ''), coalesce(every_seconds, 0), clocked_at, tenants, last_run_at from %s.%s where enabled",
				i, pgx.Identifier{schemas[i]}.Sanitize(), periodicTable)
		}
		batch.Queue(q.String())
	}
	var all []row
	br := db.SendBatch(ctx, batch)
	for range batch.Len() {
		rows, err := br.Query()
		if err != nil {
			br.Close()
			return nil, fmt.Errorf("tenantgen: read periodic tasks: %w", err)
		}
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.ord, &x.name, &x.task, &x.args, &x.cron, &x.every, &x.clocked, &x.tenants, &x.lastRun)
			return x, err
		})
		if err != nil {
			br.Close()
			return nil, fmt.Errorf("tenantgen: read periodic tasks: %w", err)
		}
		all = append(all, got...)
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("tenantgen: read periodic tasks: %w", err)
	}
	slices.SortFunc(all, func(x, y row) int { return cmp.Or(cmp.Compare(x.ord, y.ord), cmp.Compare(x.name, y.name)) })
	return all, nil
}

// writeBack records a run of each row in its own schema: one more run,
// the last run's tick, and a one-off disabled. It is idempotent, so that a
// tick written back twice (after a failover) counts once.
func writeBack(ctx context.Context, db DB, rows []*Entry, ticks []time.Time) error {
	if len(rows) == 0 {
		return nil
	}
	batch := &pgx.Batch{}
	for i, e := range rows {
		batch.Queue(fmt.Sprintf(`update %s.%s set total_run_count = total_run_count + 1, last_run_at = $2, enabled = enabled and clocked_at is null where name = $1 and (last_run_at is null or last_run_at < $2)`,
			pgx.Identifier{e.schema}.Sanitize(), periodicTable), e.name, ticks[i])
	}
	if err := db.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("tenantgen: write back periodic task runs: %w", err)
	}
	return nil
}
