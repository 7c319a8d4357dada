package runtime

import (
	"context"
	"fmt"

	"github.com/tenantgen/tenantgen/internal/names"
	"github.com/tenantgen/tenantgen/internal/queue"
)

// Limits are the scheduling limits of a tenant in a queue, enforced across
// every worker process by the fetch in Redis. A tenant at its limit is
// skipped: its tasks wait, spend no retry, and hold up no other tenant. The
// zero Limits is weight 1 and no limit.
type Limits struct {
	// Weight is how many tasks the tenant gets per turn of the queue's
	// round-robin over tenants; 0 means 1.
	Weight int

	// Concurrency, when positive, caps how many of the tenant's tasks in
	// the queue run at once.
	Concurrency int

	// Rate, when set, caps how often the tenant's tasks in the queue
	// start: starts are spaced Per/Starts apart, so that no window of
	// length Per holds more than Starts.
	Rate Rate
}

// check reports whether l is valid.
func (l Limits) check() error {
	switch {
	case l.Weight < 0:
		return fmt.Errorf("weight %d must not be negative (0 means 1)", l.Weight)
	case l.Concurrency < 0:
		return fmt.Errorf("concurrency %d must not be negative (0 means no cap)", l.Concurrency)
	}
	return l.Rate.check()
}

// engine returns l as the queue engine takes it.
func (l Limits) engine() queue.Limits {
	return queue.Limits{Weight: l.Weight, Concurrency: l.Concurrency, Starts: l.Rate.Starts, Per: l.Rate.Per}
}

// SetTenantLimits sets the limits of tenant in queue, over the queue's
// defaults (Config.TenantLimits), for every worker at once; a raised limit
// applies at once. The record stays until ClearTenantLimits: call this
// when a tenant's plan changes, to give it the plan's weight and limits.
// The limits cover the tenant's tasks in queue except those of tasks with
// limits of their own (TaskSpec.TenantConcurrency, TaskSpec.TenantRate).
func (a *App) SetTenantLimits(ctx context.Context, queue, tenant string, l Limits) error {
	if err := checkLimitsTarget(queue, tenant); err != nil {
		return err
	}
	if err := l.check(); err != nil {
		return fmt.Errorf("tenantgen: limits of tenant %q in queue %q: %w", tenant, queue, err)
	}
	return a.engine.SetTenantLimits(ctx, queue, tenant, l.engine(), false)
}

// ClearTenantLimits deletes the limits that SetTenantLimits set for tenant
// in queue: the queue's defaults apply again.
func (a *App) ClearTenantLimits(ctx context.Context, queue, tenant string) error {
	if err := checkLimitsTarget(queue, tenant); err != nil {
		return err
	}
	return a.engine.SetTenantLimits(ctx, queue, tenant, noLimits, true)
}

// noLimits is what ClearTenantLimits passes the engine, which ignores it.
var noLimits queue.Limits

// TenantLimits returns the limits that SetTenantLimits set for tenant in
// queue, and whether there are any (without, the queue's defaults apply).
func (a *App) TenantLimits(ctx context.Context, queue, tenant string) (Limits, bool, error) {
	if err := checkLimitsTarget(queue, tenant); err != nil {
		return Limits{}, false, err
	}
	l, ok, err := a.engine.TenantLimits(ctx, queue, tenant)
	if err != nil || !ok {
		return Limits{}, ok, err
	}
	out := Limits{Weight: l.Weight, Concurrency: l.Concurrency}
	if l.Starts > 0 {
		out.Rate = Rate{Starts: l.Starts, Per: l.Per}
	}
	return out, true, nil
}

// checkLimitsTarget checks the queue and tenant of a limits call.
func checkLimitsTarget(queue, tenant string) error {
	if err := names.CheckQueue(queue); err != nil {
		return fmt.Errorf("tenantgen: tenant limits: %w", err)
	}
	if err := names.CheckTenant(tenant); err != nil {
		return fmt.Errorf("tenantgen: tenant limits: %w", err)
	}
	return nil
}

// recordTaskLimits writes to Redis, in every queue the App knows, the
// limits of the registered tasks that set TenantConcurrency or TenantRate,
// and deletes those of the registered tasks that do not: the scripts route
// a limited task to a lane per tenant and task by these records, so every
// process routes it alike, even one whose Registry lacks the task.
func (a *App) recordTaskLimits(ctx context.Context) error {
	reg := a.cfg.Registry
	if reg == nil {
		return nil
	}
	limited := map[string]queue.Limits{}
	var unlimited []string
	for _, name := range reg.Names() {
		def, _ := reg.Lookup(name)
		spec := def.Spec()
		if spec.TenantConcurrency > 0 || !spec.TenantRate.IsZero() {
			limited[name] = queue.Limits{Concurrency: max(spec.TenantConcurrency, 0), Starts: spec.TenantRate.Starts, Per: spec.TenantRate.Per}
		} else {
			unlimited = append(unlimited, name)
		}
	}
	if len(limited) == 0 && !a.hadTaskLimits {
		// Nothing to record, and nothing this App recorded to take back:
		// spare Open a round trip. Records other Apps wrote stay theirs.
		return nil
	}
	a.hadTaskLimits = len(limited) > 0
	return a.engine.SetTaskLimits(ctx, a.knownQueues(), limited, unlimited)
}
