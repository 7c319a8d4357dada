package schedule

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Tick takes or renews the lease and, if it leads, enqueues the due ticks
// of every entry at the clock's time and records them under the lease. It
// returns the problems of single entries joined; the other entries ran all
// the same.
func (e *Engine) Tick(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.lead(ctx); err != nil || e.cfg.Lease.Token() == "" {
		return err
	}
	now := e.cfg.Now()
	var problems []error
	var tenantList []Tenant
	tenantsLoaded := false
	tenants := func() ([]Tenant, error) {
		if tenantsLoaded {
			return tenantList, nil
		}
		list, err := e.cfg.Tenants(ctx)
		if err != nil {
			return nil, err
		}
		tenantList, tenantsLoaded = list, true
		return tenantList, nil
	}

	entries := e.entries
	if e.cfg.Tables != nil {
		rows, probs, err := e.loadTables(ctx, tenants)
		if err != nil {
			return err
		}
		problems = append(problems, probs...)
		entries = slices.Clone(entries)
		for _, r := range rows {
			if _, dup := slices.BinarySearchFunc(e.entries, r.id, func(en *Entry, id string) int { return cmp.Compare(en.id, id) }); dup {
				problems = append(problems, fmt.Errorf("periodic task %q of schema %q has the name of an entry declared in Go; row skipped", r.id, r.schema))
				continue
			}
			entries = append(entries, r)
		}
	}

	ids := make([]string, len(entries))
	for i, en := range entries {
		ids[i] = en.id
	}
	var state []any
	if len(ids) > 0 {
		var err error
		if state, err = e.cfg.State.HMGet(ctx, e.cfg.StateKey, ids...).Result(); err != nil {
			return fmt.Errorf("tenantgen: scheduler state: %w", err)
		}
	}
	var pending []any // progress of entries that did not run
	var ran []*Entry  // rows to write back
	var ranTicks []time.Time
	for i, en := range entries {
		var run, handled time.Time
		if en.timing == nil { // a clocked one-off
			if en.clocked.After(now) || !en.lastRun.IsZero() && !en.lastRun.Before(en.clocked) {
				continue
			}
			run = en.clocked
		} else {
			str, ok := state[i].(string)
			ms, err := strconv.ParseInt(str, 10, 64)
			if !ok || err != nil {
				// A new entry starts now: no ticks before it ran.
				pending = append(pending, en.id, now.UnixMilli())
				continue
			}
			last := time.UnixMilli(ms)
			if run, handled = due(en.timing, last, now, e.cfg.Grace, e.cfg.CatchUp); handled.Equal(last) {
				continue
			}
			if run.IsZero() {
				e.cfg.Log.Warn("scheduler skipped missed ticks", "entry", en.id, "through", handled)
				pending = append(pending, en.id, handled.UnixMilli())
				continue
			}
		}
		if err := e.stillLeader(ctx); err != nil {
			return err
		}
		n, err := e.fire(ctx, en, run, tenants)
		if err != nil {
			problems = append(problems, fmt.Errorf("entry %q: %w", en.id, err))
			continue // the tick is tried again at the next Tick
		}
		e.cfg.Log.Debug("scheduler enqueued a tick", "entry", en.id, "tick", run, "tasks", n)
		if e.crash {
			return errors.New("tenantgen: scheduler crashed (test)")
		}
		if en.timing != nil {
			if err := e.record(ctx, []any{en.id, handled.UnixMilli()}); err != nil {
				return err
			}
		}
		if en.schema != "" {
			ran, ranTicks = append(ran, en), append(ranTicks, run)
		}
	}
	if err := e.record(ctx, pending); err != nil {
		return err
	}
	if len(ran) > 0 {
		if err := writeBack(ctx, e.cfg.Tables, ran, ranTicks); err != nil {
			problems = append(problems, err)
		}
	}
	return errors.Join(problems...)
}

// lead takes or renews the lease, and logs when the engine comes to lead
// or stops leading.
func (e *Engine) lead(ctx context.Context) error {
	was := e.cfg.Lease.Token()
	token, err := e.cfg.Lease.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("tenantgen: scheduler lease: %w", err)
	}
	e.logChange(was, token)
	return nil
}

// stillLeader renews the lease if it is due for renewal, and returns
// errLostLease if the engine no longer leads.
func (e *Engine) stillLeader(ctx context.Context) error {
	was := e.cfg.Lease.Token()
	token, err := e.cfg.Lease.Keep(ctx)
	if err != nil {
		return fmt.Errorf("tenantgen: scheduler lease: %w", err)
	}
	e.logChange(was, token)
	if token == "" {
		return errLostLease
	}
	return nil
}

func (e *Engine) logChange(was, token string) {
	switch {
	case was != "" && token == "":
		e.cfg.Log.Info("scheduler lost the lease")
	case was == "" && token != "":
		e.cfg.Log.Info("scheduler leads", "token", token)
	}
}

// record writes the progress of entries (ID, tick pairs) under the lease.
func (e *Engine) record(ctx context.Context, pairs []any) error {
	if len(pairs) == 0 {
		return nil
	}
	ok, err := e.cfg.Lease.HSet(ctx, e.cfg.StateKey, pairs)
	switch {
	case err != nil:
		return fmt.Errorf("tenantgen: scheduler state: %w", err)
	case !ok:
		return errLostLease
	}
	return nil
}

// fire enqueues the tasks of entry en for tick, in batches of one round
// trip each, and returns how many it enqueued or found already enqueued.
func (e *Engine) fire(ctx context.Context, en *Entry, tick time.Time, tenants func() ([]Tenant, error)) (int, error) {
	var targets []string
	switch {
	case en.public:
		targets = []string{""}
	default:
		list, err := tenants()
		if err != nil {
			return 0, err
		}
		if en.tenants == nil {
			targets = make([]string, len(list))
			for i, t := range list {
				targets[i] = t.ID
			}
		} else {
			for _, id := range en.tenants {
				if slices.ContainsFunc(list, func(t Tenant) bool { return t.ID == id }) {
					targets = append(targets, id)
				} else {
					e.cfg.Log.Debug("scheduler skipped a tenant that is unknown, not ready or filtered out", "entry", en.id, "tenant", id)
				}
			}
		}
	}
	spread := en.spread
	if len(targets) < 2 {
		spread = 0
	}
	if en.timing != nil {
		spread = min(spread, en.timing.Next(tick).Sub(tick))
	}
	window := spread + e.cfg.Grace + 2*e.cfg.LeaseTTL
	tasks := e.tasks[:0]
	defer func() { e.tasks = tasks[:0] }()
	n := 0
	flush := func() error {
		if len(tasks) == 0 {
			return nil
		}
		if err := e.stillLeader(ctx); err != nil {
			return err
		}
		if err := e.cfg.Enqueue(ctx, en, tasks); err != nil {
			return err
		}
		n += len(tasks)
		tasks = tasks[:0]
		return nil
	}
	for _, tenant := range targets {
		t := Task{Tenant: tenant, ID: tickID(en.id, tenant, tick), Unique: window}
		if off := offset(en.id, tenant, spread); off > 0 {
			// Relative to the real time, whatever the scheduler's clock:
			// a tick that runs late is spread all the same.
			t.RunAt = time.Now().Add(off)
		}
		tasks = append(tasks, t)
		if len(tasks) == e.cfg.Batch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	return n, flush()
}
