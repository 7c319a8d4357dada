package runtime

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tenantgen/tenantgen/internal/names"
	"github.com/tenantgen/tenantgen/internal/queue"
)

// defaultPage is the page size of a query that sets no Limit.
const defaultPage = 50

func (in *Inspector) queues(ctx context.Context, extra []string) ([]QueueInfo, error) {
	qs, err := in.allQueues(ctx, extra)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var list []QueueInfo
	for _, q := range qs {
		qi, err := in.app.engine.QueueInfo(ctx, q)
		if err != nil {
			return nil, err
		}
		info := QueueInfo{
			Name: q, Partitions: qi.Partitions,
			Ready: qi.Ready, Scheduled: qi.Scheduled, Retrying: qi.Retrying, Running: qi.Running, Dead: qi.Dead,
			Paused: qi.Paused, PausedTenants: qi.PausedTenants, Lanes: qi.Lanes,
		}
		if !qi.OldestReady.IsZero() {
			info.OldestReady = max(now.Sub(qi.OldestReady), 0)
		}
		list = append(list, info)
	}
	return list, nil
}

// inspectQueues returns the queues a query of queue covers: queue, or
// every queue the App knows or live workers serve.
func (in *Inspector) inspectQueues(ctx context.Context, action, queue string) ([]string, error) {
	if queue == "" {
		return in.allQueues(ctx, nil)
	}
	if err := names.CheckQueue(queue); err != nil {
		return nil, fmt.Errorf("tenantgen: %s: %w", action, err)
	}
	return []string{queue}, nil
}

func (in *Inspector) tenants(ctx context.Context, q TenantQuery) (TenantPage, error) {
	qs, err := in.inspectQueues(ctx, "inspect tenants", q.Queue)
	if err != nil {
		return TenantPage{}, err
	}
	sortBy := cmp.Or(q.Sort, ByBacklog)
	if !slices.Contains([]TenantSort{ByBacklog, ByFailures, ByDead, ByRunning, ByID}, sortBy) {
		return TenantPage{}, fmt.Errorf("tenantgen: inspect tenants: no order %q; use backlog, failures, dead, running or id", sortBy)
	}
	now := time.Now()
	agg := map[string]*TenantInfo{}
	for _, name := range qs {
		by, err := in.app.engine.Tenants(ctx, name, now)
		if err != nil {
			return TenantPage{}, err
		}
		for id, t := range by {
			if !strings.HasPrefix(id, q.Prefix) {
				continue
			}
			ti := agg[id]
			if ti == nil {
				ti = &TenantInfo{ID: id}
				agg[id] = ti
			}
			addTenant(ti, name, t)
		}
	}
	list := make([]TenantInfo, 0, len(agg))
	for _, ti := range agg {
		slices.Sort(ti.PausedIn)
		list = append(list, *ti)
	}
	key := func(t TenantInfo) int64 {
		switch sortBy {
		case ByFailures:
			return t.Failures
		case ByDead:
			return t.Dead
		case ByRunning:
			return t.Running
		case ByID:
			return 0
		}
		return t.Backlog()
	}
	slices.SortFunc(list, func(x, y TenantInfo) int { return cmp.Or(cmp.Compare(key(y), key(x)), cmp.Compare(x.ID, y.ID)) })
	offset, limit := max(q.Offset, 0), q.Limit
	if limit <= 0 {
		limit = defaultPage
	}
	page := TenantPage{Total: len(list), Tenants: list[min(offset, len(list)):]}
	if len(page.Tenants) > limit {
		page.Tenants, page.Next = page.Tenants[:limit], offset+limit
	}
	return page, nil
}

// addTenant adds the counts of a tenant in queue to ti.
func addTenant(ti *TenantInfo, queue string, t *queue.TenantInfo) {
	ti.Ready += t.Ready
	ti.Running += t.Running
	ti.Dead += t.Dead
	ti.Failures += t.Failures
	if t.Scheduled < 0 || ti.Scheduled < 0 {
		ti.Scheduled, ti.Retrying = -1, -1
	} else {
		ti.Scheduled += t.Scheduled
		ti.Retrying += t.Retrying
	}
	if t.Paused {
		ti.PausedIn = append(ti.PausedIn, queue)
	}
	if l := t.Limits; l != nil {
		if ti.Limits == nil {
			ti.Limits = map[string]Limits{}
		}
		out := Limits{Weight: l.Weight, Concurrency: l.Concurrency}
		if l.Starts > 0 {
			out.Rate = Rate{Starts: l.Starts, Per: l.Per}
		}
		ti.Limits[queue] = out
	}
}
