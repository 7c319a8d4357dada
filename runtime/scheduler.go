package runtime

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
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
	app     *App
	cfg     SchedulerConfig
	log     *slog.Logger
	entries []*entry // from Go and from cron specs, by ID
	holder  string   // this scheduler's name in the lease

	leaderKey, epochKey, stateKey string

	mu       sync.Mutex // serializes Tick
	token    string     // the lease's value while this scheduler leads
	renewed  time.Time  // when the lease was last taken or renewed
	problems string     // the problems last logged, to log changes only

	crash bool // tests: stop a tick after enqueueing, as if killed
}

// NewScheduler returns a scheduler of app's registered tasks. app must have
// a Registry; entries of tenants need a tenant store.
func NewScheduler(app *App, cfg SchedulerConfig) (*Scheduler, error) {
	cfg = cfg.withDefaults(app.cfg.TenantsDB)
	if app.cfg.Registry == nil {
		return nil, errors.New("tenantgen: NewScheduler needs Config.Registry: register the tasks to schedule")
	}
	entries, errs := checkSchedule(cfg, app.cfg.Registry, app.tenants != nil, func(alias string) bool { _, ok := app.pools[alias]; return ok })
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("tenantgen: invalid schedule: %w", err)
	}
	s := &Scheduler{app: app, cfg: cfg, log: app.cfg.Logger.With("scheduler", true), entries: entries}
	slices.SortFunc(s.entries, func(x, y *entry) int { return cmp.Compare(x.id, y.id) })
	host, _ := os.Hostname()
	s.holder = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), newTaskID()[:6])
	base := app.cfg.Prefix + ":{sched}:"
	s.leaderKey, s.epochKey, s.stateKey = base+"leader", base+"epoch", base+"state"
	return s, nil
}

// checkSchedule checks cfg, which has its defaults set, against the tasks
// of reg and returns its entries, from Go and from cron specs. hasStore
// says whether tenants can be listed, hasDB whether a database alias is
// configured. Config.validate runs it before connecting; NewScheduler runs
// it again for a SchedulerConfig of its own.
func checkSchedule(cfg SchedulerConfig, reg *Registry, hasStore bool, hasDB func(alias string) bool) ([]*entry, []error) {
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
	if cfg.Tables && !hasDB(cfg.TablesDB) {
		errs = append(errs, fmt.Errorf("reading the periodic tasks tables (Tables) needs database %q, which is not configured", cfg.TablesDB))
	}
	all := append([]Entry(nil), cfg.Entries...)
	for _, name := range reg.Names() {
		def, _ := reg.Lookup(name)
		if spec := def.Spec(); spec.Cron != "" {
			all = append(all, Entry{Name: name, Task: name, Cron: spec.Cron})
		}
	}
	var entries []*entry
	seen := map[string]bool{}
	for _, e := range all {
		en, err := buildEntry(e, reg, max(cfg.Spread, 0))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[en.id] {
			errs = append(errs, fmt.Errorf("entry %q is declared twice", en.id))
			continue
		}
		if !en.public() && !hasStore {
			errs = append(errs, fmt.Errorf("entry %q runs for tenants, but the App has no tenant store: %s", en.id, needStore))
			continue
		}
		seen[en.id] = true
		entries = append(entries, en)
	}
	return entries, errs
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
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	return func() { cancel(); <-done }, nil
}

// Run ticks every Poll until ctx is cancelled, then hands the lease over
// (releases it) if it held it. It returns nil when ctx is cancelled.
// Problems of single entries are logged, and do not stop the others.
func (s *Scheduler) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			s.release()
			return nil
		case <-timer.C:
		}
		err := s.Tick(ctx)
		if ctx.Err() != nil {
			continue
		}
		if msg := errString(err); msg != s.problems {
			s.problems = msg
			if err != nil {
				s.log.Error("scheduler tick", "err", err)
			}
		}
		timer.Reset(s.cfg.Poll)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Entries returns the IDs of the entries declared in Go and by cron specs,
// sorted: name@tenant, name@__all__ or name@public (a list of tenants
// joins them with commas). Rows of the periodic tasks tables, read at each
// tick, are not included.
func (s *Scheduler) Entries() []string {
	ids := make([]string, len(s.entries))
	for i, e := range s.entries {
		ids[i] = e.id
	}
	return ids
}

// Leader reports whether the scheduler held the lease at its last tick.
func (s *Scheduler) Leader() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token != ""
}

// leaseScript takes the lease or renews it.
//
// KEYS: leader, epoch. ARGV: holder, TTL ms, current token ("" if none).
// It returns the token (holder/epoch), or false if another holds the lease.
var leaseScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur then
	if cur == ARGV[3] then
		redis.call('PEXPIRE', KEYS[1], ARGV[2])
		return cur
	end
	return false
end
local token = ARGV[1] .. '/' .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
return token
`)

// fencedScript records the progress of entries if the caller still holds
// the lease.
//
// KEYS: leader, state. ARGV: token, then entry ID and tick ms pairs. It
// returns 1, or 0 if the lease is another's.
var fencedScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
	return 0
end
for i = 2, #ARGV, 2 do
	redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
return 1
`)

// releaseScript deletes the lease if the caller holds it.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// errLostLease stops a tick whose scheduler is no longer the leader.
var errLostLease = errors.New("tenantgen: scheduler lost its lease to another scheduler")

// lead takes or renews the lease; s.token is empty if another holds it.
func (s *Scheduler) lead(ctx context.Context) error {
	v, err := leaseScript.Run(ctx, s.app.rdb, []string{s.leaderKey, s.epochKey}, s.holder, s.cfg.LeaseTTL.Milliseconds(), s.token).Text()
	switch {
	case errors.Is(err, redis.Nil):
		if s.token != "" {
			s.log.Info("scheduler lost the lease")
		}
		s.token = ""
		return nil
	case err != nil:
		return fmt.Errorf("tenantgen: scheduler lease: %w", err)
	}
	if s.token == "" {
		s.log.Info("scheduler leads", "token", v)
	}
	s.token, s.renewed = v, time.Now()
	return nil
}

// stillLeader renews the lease if a third of its TTL has passed, and
// reports whether the scheduler still leads.
func (s *Scheduler) stillLeader(ctx context.Context) error {
	if time.Since(s.renewed) > s.cfg.LeaseTTL/3 {
		if err := s.lead(ctx); err != nil {
			return err
		}
	}
	if s.token == "" {
		return errLostLease
	}
	return nil
}

// release gives the lease up, so that another scheduler takes over at
// once.
func (s *Scheduler) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	releaseScript.Run(ctx, s.app.rdb, []string{s.leaderKey}, s.token)
	s.token = ""
}

// record writes the progress of entries (ID, tick pairs) under the lease.
func (s *Scheduler) record(ctx context.Context, pairs []any) error {
	if len(pairs) == 0 {
		return nil
	}
	n, err := fencedScript.Run(ctx, s.app.rdb, []string{s.leaderKey, s.stateKey}, append([]any{s.token}, pairs...)...).Int()
	switch {
	case err != nil:
		return fmt.Errorf("tenantgen: scheduler state: %w", err)
	case n == 0:
		s.token = ""
		return errLostLease
	}
	return nil
}

// Tick does one round of the scheduler: it takes or renews the lease and,
// if it leads, enqueues the due ticks of every entry at the clock's time.
// It returns the problems of single entries (such as a duplicate name in
// the periodic tasks tables) joined; the other entries ran all the same.
// Run calls Tick every Poll; tests call it with a fake clock.
func (s *Scheduler) Tick(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.lead(ctx); err != nil || s.token == "" {
		return err
	}
	now := s.cfg.Now()
	var problems []error
	var tenantList []*Tenant
	tenantsLoaded := false
	tenants := func() ([]*Tenant, error) {
		if tenantsLoaded {
			return tenantList, nil
		}
		list, err := s.app.tenants.Tenants(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range list {
			// A tenant whose schema is the shared one is refused by
			// workers (see App.resolve): enqueue nothing for it.
			if t.Ready && t.Schema != s.app.cfg.SharedSchema && (s.cfg.Filter == nil || s.cfg.Filter(ctx, t)) {
				tenantList = append(tenantList, t)
			}
		}
		tenantsLoaded = true
		return tenantList, nil
	}

	entries := s.entries
	if s.cfg.Tables {
		rows, probs, err := s.loadTables(ctx, tenants)
		if err != nil {
			return err
		}
		problems = append(problems, probs...)
		entries = slices.Clone(entries)
		for _, r := range rows {
			if _, dup := slices.BinarySearchFunc(s.entries, r.id, func(e *entry, id string) int { return cmp.Compare(e.id, id) }); dup {
				problems = append(problems, fmt.Errorf("periodic task %q of schema %q has the name of an entry declared in Go; row skipped", r.id, r.schema))
				continue
			}
			entries = append(entries, r)
		}
	}

	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.id
	}
	var state []any
	if len(ids) > 0 {
		var err error
		if state, err = s.app.rdb.HMGet(ctx, s.stateKey, ids...).Result(); err != nil {
			return fmt.Errorf("tenantgen: scheduler state: %w", err)
		}
	}
	var pending []any // progress of entries that did not run
	var ran []*entry  // rows to write back
	var ranTicks []time.Time
	for i, e := range entries {
		var run, handled time.Time
		if e.timing == nil { // a clocked one-off
			if e.clocked.After(now) || !e.lastRun.IsZero() && !e.lastRun.Before(e.clocked) {
				continue
			}
			run = e.clocked
		} else {
			str, ok := state[i].(string)
			ms, err := strconv.ParseInt(str, 10, 64)
			if !ok || err != nil {
				// A new entry starts now: no ticks before it ran.
				pending = append(pending, e.id, now.UnixMilli())
				continue
			}
			last := time.UnixMilli(ms)
			if run, handled = due(e.timing, last, now, s.cfg.Grace, s.cfg.Missed); handled.Equal(last) {
				continue
			}
			if run.IsZero() {
				s.log.Warn("scheduler skipped missed ticks", "entry", e.id, "through", handled)
				pending = append(pending, e.id, handled.UnixMilli())
				continue
			}
		}
		if err := s.stillLeader(ctx); err != nil {
			return err
		}
		n, err := s.fire(ctx, e, run, tenants)
		if err != nil {
			problems = append(problems, fmt.Errorf("entry %q: %w", e.id, err))
			continue // the tick is tried again at the next Tick
		}
		s.log.Debug("scheduler enqueued a tick", "entry", e.id, "tick", run, "tasks", n)
		if s.crash {
			return errors.New("tenantgen: scheduler crashed (test)")
		}
		if e.timing != nil {
			if err := s.record(ctx, []any{e.id, handled.UnixMilli()}); err != nil {
				return err
			}
		}
		if e.schema != "" {
			ran, ranTicks = append(ran, e), append(ranTicks, run)
		}
	}
	if err := s.record(ctx, pending); err != nil {
		return err
	}
	if err := s.writeBack(ctx, ran, ranTicks); err != nil {
		problems = append(problems, err)
	}
	return errors.Join(problems...)
}

// fire enqueues the tasks of entry e for tick, in batches of one round
// trip each, and returns how many it enqueued or found already enqueued.
func (s *Scheduler) fire(ctx context.Context, e *entry, tick time.Time, tenants func() ([]*Tenant, error)) (int, error) {
	var targets []string
	switch {
	case e.public():
		targets = []string{""}
	default:
		list, err := tenants()
		if err != nil {
			return 0, err
		}
		if e.tenants == nil {
			targets = make([]string, len(list))
			for i, t := range list {
				targets[i] = t.ID
			}
		} else {
			for _, id := range e.tenants {
				if slices.ContainsFunc(list, func(t *Tenant) bool { return t.ID == id }) {
					targets = append(targets, id)
				} else {
					s.log.Debug("scheduler skipped a tenant that is unknown, not ready or filtered out", "entry", e.id, "tenant", id)
				}
			}
		}
	}
	spread := e.spread
	if len(targets) < 2 {
		spread = 0
	}
	if e.timing != nil {
		spread = min(spread, e.timing.Next(tick).Sub(tick))
	}
	window := spread + s.cfg.Grace + 2*s.cfg.LeaseTTL
	reqs := make([]Request, 0, min(len(targets), fanOutBatch))
	n := 0
	flush := func() error {
		if len(reqs) == 0 {
			return nil
		}
		if err := s.stillLeader(ctx); err != nil {
			return err
		}
		_, err := s.app.EnqueueMany(ctx, reqs)
		if err != nil {
			return err
		}
		n += len(reqs)
		reqs = reqs[:0]
		return nil
	}
	for _, tenant := range targets {
		tctx := ctx
		if tenant != "" {
			tctx = WithTenant(ctx, tenant)
		}
		req, err := newRequest(tctx, e.spec, e.args, nil)
		if err != nil {
			return n, err
		}
		if off := offset(e.id, tenant, spread); off > 0 {
			// Relative to the real time, whatever the scheduler's clock:
			// a tick that runs late is spread all the same.
			req.RunAt = time.Now().Add(off)
		}
		req.ID = tickID(e.id, tenant, tick)
		req.UniqueKey, req.Unique = string(req.ID), window
		reqs = append(reqs, req)
		if len(reqs) == fanOutBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	return n, flush()
}
