package runtime

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/tenantgen/tenantgen/internal/names"
)

// PauseQueue pauses queue for every worker: fetches take nothing from it,
// and its tasks, and those enqueued meanwhile, stay queued until
// ResumeQueue. Tasks already running finish; delayed tasks keep moving to
// their lanes as they fall due.
func (a *App) PauseQueue(ctx context.Context, queue string) error {
	if err := names.CheckQueue(queue); err != nil {
		return fmt.Errorf("tenantgen: pause queue: %w", err)
	}
	return a.engine.PauseQueue(ctx, queue)
}

// ResumeQueue resumes a queue paused by PauseQueue and wakes idle workers.
// Resuming a queue that is not paused does nothing.
func (a *App) ResumeQueue(ctx context.Context, queue string) error {
	if err := names.CheckQueue(queue); err != nil {
		return fmt.Errorf("tenantgen: resume queue: %w", err)
	}
	return a.engine.ResumeQueue(ctx, queue)
}

// PauseTenant pauses tenant in queues, or, with none, in every queue the
// App knows: those of Config.Queues, Config.DefaultQueue, and the queues of
// the tasks in Config.Registry. None of the tenant's tasks starts in those
// queues until ResumeTenant; they, and those enqueued meanwhile, stay
// queued, and other tenants' tasks are not held up. Tasks already running
// finish.
func (a *App) PauseTenant(ctx context.Context, tenant string, queues ...string) error {
	qs, err := a.tenantQueues("pause", tenant, queues)
	if err != nil {
		return err
	}
	for _, q := range qs {
		if err := a.engine.PauseTenant(ctx, q, tenant); err != nil {
			return err
		}
	}
	return nil
}

// ResumeTenant resumes tenant in queues, or, with none, in every queue the
// App knows (see PauseTenant), and wakes idle workers. Resuming a tenant
// that is not paused does nothing.
func (a *App) ResumeTenant(ctx context.Context, tenant string, queues ...string) error {
	qs, err := a.tenantQueues("resume", tenant, queues)
	if err != nil {
		return err
	}
	for _, q := range qs {
		if err := a.engine.ResumeTenant(ctx, q, tenant); err != nil {
			return err
		}
	}
	return nil
}

// PauseState is what is paused, as Paused reports it.
type PauseState struct {
	Queues  []string            // the paused queues, sorted
	Tenants map[string][]string // by queue, its paused tenants, sorted; queues without any are left out
}

// Paused reports what is paused in queues, or, with none, in every queue
// the App knows (see PauseTenant).
func (a *App) Paused(ctx context.Context, queues ...string) (PauseState, error) {
	qs, err := a.queuesOrKnown("read the paused state", queues)
	if err != nil {
		return PauseState{}, err
	}
	st := PauseState{Tenants: map[string][]string{}}
	for _, q := range qs {
		paused, tenants, err := a.engine.Paused(ctx, q)
		if err != nil {
			return PauseState{}, err
		}
		if paused {
			st.Queues = append(st.Queues, q)
		}
		if len(tenants) > 0 {
			st.Tenants[q] = tenants
		}
	}
	return st, nil
}

// tenantQueues checks tenant and queues for action, and returns the queues
// to act on: queues, or every queue the App knows.
func (a *App) tenantQueues(action, tenant string, queues []string) ([]string, error) {
	if err := names.CheckTenant(tenant); err != nil {
		return nil, fmt.Errorf("tenantgen: %s tenant: %w", action, err)
	}
	return a.queuesOrKnown(action+" tenant "+fmt.Sprintf("%q", tenant), queues)
}

// queuesOrKnown checks queues and returns them, or, if there are none,
// every queue the App knows.
func (a *App) queuesOrKnown(action string, queues []string) ([]string, error) {
	if len(queues) == 0 {
		return a.knownQueues(), nil
	}
	for _, q := range queues {
		if err := names.CheckQueue(q); err != nil {
			return nil, fmt.Errorf("tenantgen: %s: %w", action, err)
		}
	}
	return queues, nil
}

// knownQueues returns, sorted, the queues the App knows: those of
// Config.Queues, Config.DefaultQueue, and the queues of the registered
// tasks.
func (a *App) knownQueues() []string {
	set := maps.Clone(a.cfg.Queues)
	set[a.cfg.DefaultQueue] = 0
	if reg := a.cfg.Registry; reg != nil {
		for _, name := range reg.Names() {
			if def, ok := reg.Lookup(name); ok && def.Spec().Queue != "" {
				set[def.Spec().Queue] = 0
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}
