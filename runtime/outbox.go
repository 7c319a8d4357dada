package runtime

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantgen/tenantgen/internal/outbox"
	"github.com/tenantgen/tenantgen/internal/queue"
	"github.com/tenantgen/tenantgen/templates"
)

// OutboxConfig configures the relay of the outbox, the table in the shared
// schema where transactional enqueues (App.Tx, App.TaskTx) write their
// tasks: the relay moves committed rows to Redis. Any number of processes
// may relay one outbox at once.
type OutboxConfig struct {
	// DB is the alias of the database whose shared schema holds the
	// outbox table. Setting it makes Run relay the outbox, and lets
	// RunRelay relay it alone. Empty: this App does not relay (it may
	// still enqueue through App.Tx, if another process relays).
	DB string

	// PollInterval is how often the relay looks for rows when no
	// notification wakes it: the latency that relaying adds behind a
	// transaction pooler such as PgBouncer, where LISTEN cannot work, and
	// a safety net elsewhere. Default 250ms.
	PollInterval time.Duration

	// BatchSize is how many rows the relay moves per transaction. Default
	// 500.
	BatchSize int

	// NoListen makes the relay poll instead of listening for the
	// notifications of committed inserts. By default it listens on a
	// connection of its own, unless it finds that the database is behind
	// a pooler, where it polls.
	NoListen bool

	// DedupWindow is how long Redis remembers the ID of a relayed task, so
	// that relaying its row again (a relay died after writing to Redis and
	// before deleting the row) adds nothing. Default 10 minutes; at least
	// one minute, since a hung relay gives its rows back after 30 seconds.
	// Each relayed task costs a small key in Redis for this long.
	DedupWindow time.Duration
}

// withDefaults returns c with its zero fields set to their defaults.
func (c OutboxConfig) withDefaults() OutboxConfig {
	if c.PollInterval == 0 {
		c.PollInterval = 250 * time.Millisecond
	}
	if c.BatchSize == 0 {
		c.BatchSize = 500
	}
	if c.DedupWindow == 0 {
		c.DedupWindow = 10 * time.Minute
	}
	return c
}

// maxOutboxBatch bounds OutboxConfig.BatchSize: a batch is one transaction
// holding its rows' locks, and one pipeline to Redis.
const maxOutboxBatch = 10_000

// check reports the invalid fields of c, which has its defaults set, in
// Config c.
func (o OutboxConfig) check(c *Config) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("Outbox: "+format, args...)) }
	if o.DB != "" && !c.hasDB(o.DB) {
		bad("DB names database %q, which is not in Databases or Pools", o.DB)
	}
	if o.PollInterval < 0 {
		bad("PollInterval is %v; it must not be negative", o.PollInterval)
	}
	if o.BatchSize < 1 || o.BatchSize > maxOutboxBatch {
		bad("BatchSize is %d; it must be from 1 to %d", o.BatchSize, maxOutboxBatch)
	}
	if o.DedupWindow < time.Minute {
		bad("DedupWindow is %v; it must be at least a minute, or a row given back by a hung relay could run twice", o.DedupWindow)
	}
	return errs
}

// CreateOutboxTable creates the outbox table of transactional enqueues
// (templates/003_outbox.sql) and its notify trigger in the shared schema
// of the database alias, or of Config.Outbox.DB when alias is empty, if
// it does not exist; it creates the shared schema first if need be.
func (a *App) CreateOutboxTable(ctx context.Context, alias string) error {
	if alias == "" {
		alias = a.cfg.Outbox.DB
	}
	p, ok := a.Pool(alias)
	if !ok {
		return fmt.Errorf("tenantgen: CreateOutboxTable: database %q is not configured: pass the alias of a database in Config.Databases or Config.Pools, or set Config.Outbox.DB", alias)
	}
	sql, err := fs.ReadFile(templates.FS, templates.Outbox)
	if err != nil {
		return fmt.Errorf("tenantgen: %w", err)
	}
	if err := ensureSchema(ctx, p, a.cfg.SharedSchema); err != nil {
		return fmt.Errorf("tenantgen: create the outbox table: %w", err)
	}
	schema := pgx.Identifier{a.cfg.SharedSchema}.Sanitize()
	return pgx.BeginTxFunc(ctx, p, pgx.TxOptions{BeginQuery: "begin; set local search_path to " + schema}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, string(sql)); err != nil {
			return fmt.Errorf("tenantgen: create the outbox table: %w", err)
		}
		return nil
	})
}

// OutboxStats are the size and age of the outbox.
type OutboxStats struct {
	// Rows is how many tasks wait in the outbox, counted up to 100,000.
	Rows int64
	// Capped says that Rows reached the cap: there may be more.
	Capped bool
	// OldestAge is how long ago the oldest waiting task's transaction
	// began, by the database's clock; 0 when the outbox is empty. A
	// growing age means that no relay runs, or that relays cannot reach
	// Redis.
	OldestAge time.Duration
}

// OutboxStats reads the size and age of the outbox in one cheap query,
// for metrics and dashboards: the outbox of Config.Outbox.DB, or of
// Config.TenantsDB when that is empty.
func (a *App) OutboxStats(ctx context.Context) (OutboxStats, error) {
	p, ok := a.Pool(cmp.Or(a.cfg.Outbox.DB, a.cfg.TenantsDB))
	if !ok {
		return OutboxStats{}, fmt.Errorf("tenantgen: OutboxStats: no database %q: set Config.Outbox.DB to the database of the outbox", cmp.Or(a.cfg.Outbox.DB, a.cfg.TenantsDB))
	}
	s, err := a.outbox.Stats(ctx, p)
	if err != nil {
		return OutboxStats{}, fmt.Errorf("tenantgen: read the outbox stats: %w", err)
	}
	st := OutboxStats{Rows: s.Rows, Capped: s.Capped}
	if !s.Oldest.IsZero() {
		st.OldestAge = max(s.Now.Sub(s.Oldest), 0)
	}
	return st, nil
}

// RunRelay relays the outbox of Config.Outbox.DB until ctx is done, and
// returns nil then: for a process that relays without working tasks (Run
// relays too when Config.Outbox.DB is set). It logs failures and retries,
// never giving up; the rows wait in the outbox meanwhile.
func (a *App) RunRelay(ctx context.Context) error {
	r, err := a.relay(ctx)
	if err != nil {
		return err
	}
	return r.Run(ctx)
}

// relay returns the relay of the App's outbox, once it has checked that
// the table exists.
func (a *App) relay(ctx context.Context) (*outbox.Relay, error) {
	o := a.cfg.Outbox
	p, ok := a.Pool(o.DB)
	if !ok {
		return nil, errors.New("tenantgen: RunRelay needs Config.Outbox.DB, the database of the outbox to relay")
	}
	if err := a.outbox.Check(ctx, p); err != nil {
		if errors.Is(err, outbox.ErrNoTable) {
			return nil, fmt.Errorf("tenantgen: relay the outbox of database %q (Config.Outbox.DB): %w: create it with App.CreateOutboxTable, or apply templates/003_outbox.sql in the shared schema", o.DB, err)
		}
		return nil, fmt.Errorf("tenantgen: relay the outbox of database %q (Config.Outbox.DB): %w", o.DB, err)
	}
	write := func(ctx context.Context, tasks []outbox.Task) (map[int]string, error) {
		qs := make([]queue.Prepared, len(tasks))
		for i := range tasks {
			qs[i] = queue.Prepared(tasks[i])
		}
		return a.engine.Relay(ctx, qs, o.DedupWindow)
	}
	return &outbox.Relay{
		Pool: p, Table: a.outbox, Write: write,
		BatchSize: o.BatchSize, Poll: o.PollInterval, Listen: !o.NoListen,
		Logger: a.cfg.Logger,
	}, nil
}

// startRelay starts relaying the outbox when Config.Outbox.DB is set, and
// returns the function that stops it, once ctx is done, and waits.
func (a *App) startRelay(ctx context.Context) (stop func(), err error) {
	if a.cfg.Outbox.DB == "" {
		return func() {}, nil
	}
	r, err := a.relay(ctx)
	if err != nil {
		return nil, err
	}
	return runInBackground(ctx, r.Run), nil
}
