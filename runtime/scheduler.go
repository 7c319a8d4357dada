package runtime

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tenantgen/tenantgen/internal/leader"
	"github.com/tenantgen/tenantgen/internal/queue"
	"github.com/tenantgen/tenantgen/internal/schedule"
)

// SchedulerConfig configures a Scheduler. The zero value of each field
// means its default.
type SchedulerConfig struct {
	// Entries are the periodic tasks declared in Go. Tasks registered with
	// a cron spec (the directive option cron=, TaskSpec.Cron) are added to
	// them, as entries named after the task.
	Entries []Entry

	// Filter, if set, narrows the tenants that entries of every tenant, or
	// of a list of tenants, run for: only tenants for which it returns
	// true, such as those on a paying plan. Tenants that are not ready are
	// skipped before the filter sees them.
	Filter func(ctx context.Context, t *Tenant) bool

	// Spread is the default window over which the tasks of one tick of an
	// entry with several targets are spread (see Entry.Spread). Default 1
	// minute; negative means no spreading.
	Spread time.Duration

	// Missed says what happens to ticks more than Grace in the past when a
	// scheduler first sees them, because no scheduler was running. Default
	// MissedSkip.
	Missed MissedPolicy

	// Grace is how late a tick may run and still count as on time. It must
	// exceed LeaseTTL plus Poll, so that the ticks a failover delays are not
	// taken for missed ones. Default 1 minute.
	Grace time.Duration

	// Poll is how often Run checks for due ticks, renews or tries to take
	// the lease, and rereads the periodic tasks tables. Default 1 second.
	Poll time.Duration

	// LeaseTTL is how long the leader's lease lasts without renewal: when a
	// leader dies, another scheduler takes over within LeaseTTL plus Poll.
	// Default 15 seconds; it must exceed 2 Polls.
	LeaseTTL time.Duration

	// Tables makes the scheduler read the periodic tasks table
	// (templates/002_periodic_tasks.sql) of the shared schema and of every
	// tenant schema that has one, in the database TablesDB.
	Tables bool

	// TablesDB is the alias of the database holding the periodic tasks
	// tables. Default Config.TenantsDB.
	TablesDB string

	// Now is the scheduler's clock. Default time.Now. Tests set a fake one
	// and call Tick.
	Now func() time.Time
}

func (c SchedulerConfig) withDefaults(tenantsDB string) SchedulerConfig {
	if c.Spread == 0 {
		c.Spread = time.Minute
	}
	if c.Grace == 0 {
		c.Grace = time.Minute
	}
	if c.Poll == 0 {
		c.Poll = time.Second
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = 15 * time.Second
	}
	if c.TablesDB == "" {
		c.TablesDB = tenantsDB
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Scheduler enqueues periodic tasks: on a cron spec or an interval, for
// every ready tenant, a list of tenants, or once in the shared schema.
//
// Any number of schedulers may run against one Redis, for availability:
// one at a time is the leader, through a lease in Redis, and only the
// leader enqueues. Each tick of each entry is enqueued once for each
// target, even when the leader dies halfway through a tick: the task of a
// tick has an ID derived from the entry, the tenant and the tick, and is
// enqueued unless a task with that ID was. The progress of each entry is
// written under the lease's fencing token, so a deposed leader cannot
// overwrite its successor's.
//
// App.Run runs a Scheduler when Config.Schedule has entries or tables, or a
// registered task has a cron spec. docs/scheduler.md in the repository
// describes the behaviour in full.
type Scheduler struct {
	app    *App
	cfg    SchedulerConfig
	engine *schedule.Engine

	// reqs is the batch being enqueued, reused from batch to batch; the
	// engine serializes its ticks, and so the calls to enqueue.
	reqs []Request
}

// NewScheduler returns a scheduler of app's registered tasks. app must have
// a Registry; entries of tenants need a tenant store.
func NewScheduler(app *App, cfg SchedulerConfig) (*Scheduler, error) {
	cfg = cfg.withDefaults(app.cfg.TenantsDB)
	if app.cfg.Registry == nil {
		return nil, errors.New("tenantgen: NewScheduler needs Config.Registry: register the tasks to schedule")
	}
	entries, errs := checkSchedule(cfg, &app.cfg)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("tenantgen: invalid schedule: %w", err)
	}
	s := &Scheduler{app: app, cfg: cfg}
	leaseKey, epochKey, stateKey := schedule.Keys(app.cfg.Prefix)
	lease := leader.New(app.rdb, leader.Config{
		Key:      leaseKey,
		EpochKey: epochKey,
		Holder:   queue.ProcessName(),
		TTL:      cfg.LeaseTTL,
	})
	ecfg := schedule.Config{
		Lease:        lease,
		State:        app.rdb,
		StateKey:     stateKey,
		Tenants:      s.tenants,
		Enqueue:      s.enqueue,
		Lookup:       taskLookup(app.cfg.Registry),
		SharedSchema: app.cfg.SharedSchema,
		Batch:        fanOutBatch,
		Spread:       cfg.Spread,
		Grace:        cfg.Grace,
		Poll:         cfg.Poll,
		LeaseTTL:     cfg.LeaseTTL,
		CatchUp:      cfg.Missed == MissedCatchUp,
		Now:          cfg.Now,
		Log:          app.cfg.Logger.With("scheduler", true),
	}
	if cfg.Tables {
		ecfg.Tables = app.dbs.All[cfg.TablesDB] // checkSchedule made sure it is there
	}
	s.engine = schedule.New(ecfg, entries)
	return s, nil
}

// checkSchedule checks cfg, which has its defaults set, against app, the
// Config of the App it runs in (its registered tasks, its databases and
// whether it has a tenant store), and returns its entries, from Go and
// from cron specs. Config.validate runs it before connecting; NewScheduler
// runs it again for a SchedulerConfig of its own.
func checkSchedule(cfg SchedulerConfig, app *Config) ([]*schedule.Entry, []error) {
	reg, hasStore := app.Registry, app.hasStore()
	var errs []error
	switch {
	case cfg.Poll < 0 || cfg.Grace < 0 || cfg.LeaseTTL < 0:
		errs = append(errs, errors.New("invalid durations: Poll, Grace and LeaseTTL must not be negative"))
	case cfg.LeaseTTL <= 2*cfg.Poll:
		errs = append(errs, fmt.Errorf("invalid LeaseTTL %v: it must be more than twice Poll (%v)", cfg.LeaseTTL, cfg.Poll))
	case cfg.Grace <= cfg.LeaseTTL+cfg.Poll:
		errs = append(errs, fmt.Errorf("invalid Grace %v: it must exceed LeaseTTL plus Poll (%v), or ticks delayed by a failover would count as missed", cfg.Grace, cfg.LeaseTTL+cfg.Poll))
	}
	if cfg.Missed != MissedSkip && cfg.Missed != MissedCatchUp {
		errs = append(errs, fmt.Errorf("invalid Missed %v: want MissedSkip or MissedCatchUp", cfg.Missed))
	}
	if cfg.Tables && !app.hasDB(cfg.TablesDB) {
		errs = append(errs, fmt.Errorf("reading the periodic tasks tables (Tables) needs database %q, which is not configured", cfg.TablesDB))
	}
	if cfg.Tables && !hasStore {
		// The tables of tenant schemas are found through the tenants.
		errs = append(errs, fmt.Errorf("reading the periodic tasks tables (Tables) needs a tenant store: %s", app.needStore()))
	}
	decls := make([]schedule.Decl, 0, len(cfg.Entries))
	for _, e := range cfg.Entries {
		decls = append(decls, schedule.Decl(e))
	}
	for _, name := range reg.Names() {
		def, _ := reg.Lookup(name)
		if spec := def.Spec(); spec.Cron != "" {
			decls = append(decls, schedule.Decl{Name: name, Task: name, Cron: spec.Cron})
		}
	}
	var noStore error
	if !hasStore {
		noStore = fmt.Errorf("the App has no tenant store: %s", app.needStore())
	}
	entries, berrs := schedule.Build(decls, taskLookup(reg), max(cfg.Spread, 0), noStore)
	return entries, append(errs, berrs...)
}

// taskLookup tells the engine whether a task is registered and public.
func taskLookup(reg *Registry) schedule.Lookup {
	return func(task string) (public, ok bool) {
		def, ok := reg.Lookup(task)
		if !ok {
			return false, false
		}
		return def.Spec().Public, true
	}
}

// tenants lists the tenants that entries of tenants run for: the ready
// ones that pass the filter.
func (s *Scheduler) tenants(ctx context.Context) ([]schedule.Tenant, error) {
	list, err := s.app.tenants.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]schedule.Tenant, 0, len(list))
	for _, t := range list {
		// A tenant whose schema is the shared one is refused by workers
		// (see App.resolve): enqueue nothing for it.
		if t.Ready && t.Schema != s.app.cfg.SharedSchema && (s.cfg.Filter == nil || s.cfg.Filter(ctx, t)) {
			out = append(out, schedule.Tenant{ID: t.ID, Schema: t.Schema})
		}
	}
	// The engine relies on ID order (the first of two duplicate periodic
	// task rows wins), which a TenantStore of the user's own may not keep.
	if !slices.IsSortedFunc(out, compareTenant) {
		slices.SortFunc(out, compareTenant)
	}
	return out, nil
}

func compareTenant(x, y schedule.Tenant) int { return cmp.Compare(x.ID, y.ID) }

// enqueue turns the tasks of a tick of e into requests and enqueues them
// in one round trip.
func (s *Scheduler) enqueue(ctx context.Context, e *schedule.Entry, tasks []schedule.Task) error {
	def, ok := s.app.cfg.Registry.Lookup(e.Task())
	if !ok {
		return fmt.Errorf("task %q is not registered", e.Task())
	}
	spec := def.Spec()
	reqs := s.reqs[:0]
	for _, t := range tasks {
		tctx := ctx
		if t.Tenant != "" {
			tctx = WithTenant(ctx, t.Tenant)
		}
		req, err := newRequest(tctx, spec, e.Args(), nil)
		if err != nil {
			return err
		}
		req.RunAt = t.RunAt
		req.ID = TaskID(t.ID)
		req.UniqueKey, req.Unique = t.ID, t.Unique
		reqs = append(reqs, req)
	}
	s.reqs = reqs
	_, err := s.app.EnqueueMany(ctx, reqs)
	return err
}

// startScheduler starts the scheduler of Config.Schedule, if there is
// anything to schedule, and returns a function that stops it and waits for
// it.
func (a *App) startScheduler(ctx context.Context) (stop func(), err error) {
	if !a.cfg.scheduled() {
		return func() {}, nil
	}
	s, err := NewScheduler(a, a.cfg.Schedule)
	if err != nil {
		return nil, err
	}
	return runInBackground(ctx, s.Run), nil
}

// Run ticks every Poll until ctx is cancelled, then hands the lease over
// (releases it) if it held it. It returns nil when ctx is cancelled.
// Problems of single entries are logged, and do not stop the others.
func (s *Scheduler) Run(ctx context.Context) error {
	s.engine.Run(ctx)
	return nil
}

// Entries returns the IDs of the entries declared in Go and by cron specs,
// sorted: name@tenant, name@__all__ or name@public (a list of tenants
// joins them with commas). Rows of the periodic tasks tables, read at each
// tick, are not included.
func (s *Scheduler) Entries() []string { return s.engine.Entries() }

// Leader reports whether the scheduler held the lease at its last tick.
func (s *Scheduler) Leader() bool { return s.engine.Leader() }

// Tick does one round of the scheduler: it takes or renews the lease and,
// if it leads, enqueues the due ticks of every entry at the clock's time.
// It returns the problems of single entries (such as a duplicate name in
// the periodic tasks tables) joined; the other entries ran all the same.
// Run calls Tick every Poll; tests call it with a fake clock.
func (s *Scheduler) Tick(ctx context.Context) error { return s.engine.Tick(ctx) }
