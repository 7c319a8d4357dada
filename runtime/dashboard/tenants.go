package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/tenantgen/tenantgen/runtime"
)

// tenantsData is the tenants page.
type tenantsData struct {
	Query   string // the search: a tenant ID or its start
	Sort    runtime.TenantSort
	Sorts   []runtime.TenantSort
	Queue   string
	Queues  []string
	Tenants []runtime.TenantInfo
	Total   int
	Pager   pager
	Exact   bool // a tenant with exactly the searched ID exists
}

// tenants serves the tenants, sorted and paged, or those whose ID starts
// with the search: never all of them at once, since an application may
// have tens of thousands.
func (h *handler) tenants(r *http.Request) (*view, error) {
	ctx := r.Context()
	q := r.URL.Query()
	d := tenantsData{
		Query: strings.TrimSpace(q.Get("q")),
		Sort:  runtime.TenantSort(q.Get("sort")),
		Sorts: []runtime.TenantSort{runtime.ByBacklog, runtime.ByFailures, runtime.ByDead, runtime.ByRunning, runtime.ByID},
		Queue: q.Get("queue"),
	}
	if !slices.Contains(d.Sorts, d.Sort) {
		d.Sort = runtime.ByBacklog
	}
	var err error
	if d.Queues, err = h.queueNames(ctx); err != nil {
		return nil, err
	}
	page, offset := h.pageOf(r)
	res, err := h.insp.Tenants(ctx, runtime.TenantQuery{
		Queue: d.Queue, Prefix: d.Query, Sort: d.Sort, Offset: offset, Limit: h.opts.PageSize,
	})
	if err != nil {
		return nil, err
	}
	d.Tenants, d.Total = res.Tenants, res.Total
	if d.Pager, err = h.newPager(r, "Tenants", page, len(res.Tenants), res.Next > 0); err != nil {
		return nil, err
	}
	if d.Query != "" {
		// A tenant with no tasks is in no count, but it has a page.
		if _, err := h.app.Tenant(ctx, d.Query); err == nil {
			d.Exact = true
		} else if !errors.Is(err, runtime.ErrUnknownTenant) {
			h.log.WarnContext(ctx, "dashboard: look up tenant", "tenant", d.Query, "err", err)
		}
		for _, t := range d.Tenants {
			d.Exact = d.Exact || t.ID == d.Query
		}
		// The search box of every page jumps straight to the tenant it
		// names; the list shows the tenants that start with it otherwise.
		if d.Exact && q.Get("jump") != "" {
			return &view{Redirect: h.link("/tenants/" + url.PathEscape(d.Query))}, nil
		}
	}
	return &view{Page: "tenants", Title: "Tenants", Data: d}, nil
}
