package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/tenantgen/tenantgen/runtime"
)

// tenantData is a tenant's page.
type tenantData struct {
	ID     string
	Record *runtime.Tenant // nil when the tenants table has no such tenant
	Queues []tenantQueue
	Paused bool // paused in at least one queue
	Tasks  taskList
}

// tenantQueue is a tenant's tasks in one queue.
type tenantQueue struct {
	Queue  string
	Info   runtime.TenantInfo
	Paused bool
}

// tenant serves a tenant's page: its record, its tasks in each queue, the
// tasks of one queue in one state, and its pause switch.
func (h *handler) tenant(r *http.Request) (*view, error) {
	ctx := r.Context()
	id := r.PathValue("tenant")
	d := tenantData{ID: id}
	rec, err := h.app.Tenant(ctx, id)
	switch {
	case err == nil:
		d.Record = rec
	case !errors.Is(err, runtime.ErrUnknownTenant):
		// Without its record the page still shows the tenant's tasks:
		// they are in Redis, whatever the tenants table says.
		h.log.WarnContext(ctx, "dashboard: look up tenant", "tenant", id, "err", err)
	}
	qs, err := h.queueNames(ctx)
	if err != nil {
		return nil, err
	}
	// Each queue's read is a pass over its lanes: read them at once.
	d.Queues = make([]tenantQueue, len(qs))
	errs := make([]error, len(qs))
	var reading sync.WaitGroup
	for i, q := range qs {
		reading.Go(func() {
			var info runtime.TenantInfo
			info, errs[i] = h.tenantIn(r, q, id)
			d.Queues[i] = tenantQueue{Queue: q, Info: info, Paused: slices.Contains(info.PausedIn, q)}
		})
	}
	reading.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, q := range d.Queues {
		d.Paused = d.Paused || q.Paused
	}
	if d.Record == nil && len(d.Queues) > 0 && !anyTasks(d.Queues) {
		return nil, fmt.Errorf("tenantgen: dashboard: tenant %q: %w: no such tenant, and no task of it in any queue", id, errNotFound)
	}
	if d.Tasks, err = h.taskList(r, qs, id, pickQueue(r, d.Queues), pickState(r, d.Queues)); err != nil {
		return nil, err
	}
	return &view{Page: "tenant", Title: "Tenant " + id, Data: d}, nil
}

// tenantIn returns the counts of tenant id in queue: the first tenant,
// by ID, of those whose ID starts with id is id itself if it is listed.
func (h *handler) tenantIn(r *http.Request, queue, id string) (runtime.TenantInfo, error) {
	page, err := h.insp.Tenants(r.Context(), runtime.TenantQuery{Queue: queue, Prefix: id, Sort: runtime.ByID, Limit: 1})
	if err != nil {
		return runtime.TenantInfo{}, err
	}
	if len(page.Tenants) == 1 && page.Tenants[0].ID == id {
		return page.Tenants[0], nil
	}
	return runtime.TenantInfo{ID: id}, nil
}

func anyTasks(qs []tenantQueue) bool {
	for _, q := range qs {
		i := q.Info
		if i.Ready+max(i.Scheduled, 0)+i.Running+i.Dead+i.Failures > 0 || q.Paused {
			return true
		}
	}
	return false
}

// count returns the tenant's tasks in state in queue q.
func count(q tenantQueue, state runtime.TaskState) int64 {
	i := q.Info
	switch state {
	case runtime.StateReady:
		return i.Ready
	case runtime.StateScheduled:
		return max(i.Scheduled-max(i.Retrying, 0), 0)
	case runtime.StateRetrying:
		return max(i.Retrying, 0)
	case runtime.StateRunning:
		return i.Running
	case runtime.StateDead:
		return i.Dead
	}
	return 0
}

// pickState returns the state the request asks for, or the first one the
// tenant has tasks in, dead ones first: what someone opening the page of
// a tenant in trouble looks for.
func pickState(r *http.Request, qs []tenantQueue) runtime.TaskState {
	if s := runtime.TaskState(r.URL.Query().Get("state")); validState(s) {
		return s
	}
	for _, s := range []runtime.TaskState{runtime.StateDead, runtime.StateRetrying, runtime.StateRunning, runtime.StateReady, runtime.StateScheduled} {
		for _, q := range qs {
			if count(q, s) > 0 {
				return s
			}
		}
	}
	return runtime.StateReady
}

// pickQueue returns the queue the request asks for, or the one where the
// tenant has the most tasks in the state the page shows.
func pickQueue(r *http.Request, qs []tenantQueue) string {
	if q := r.URL.Query().Get("queue"); q != "" {
		return q
	}
	state := pickState(r, qs)
	best, most := "", int64(-1)
	for _, q := range qs {
		if n := count(q, state); n > most {
			best, most = q.Queue, n
		}
	}
	return best
}

func validState(s runtime.TaskState) bool {
	for _, v := range runtime.States {
		if s == v {
			return true
		}
	}
	return false
}
