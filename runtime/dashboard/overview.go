package dashboard

import (
	"cmp"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tenantgen/tenantgen/runtime"
)

// overviewTop is how many tenants each of the overview's top lists shows;
// the tenants page pages through the rest.
const overviewTop = 10

// overviewData is the overview page.
type overviewData struct {
	Queues  []runtime.QueueInfo
	Charts  []queueChart
	Backlog []runtime.TenantInfo // the noisiest tenants: the largest backlogs
	Failed  []runtime.TenantInfo // the most failures over the last hour
	Dead    []runtime.TenantInfo // the most dead tasks
	Outbox  *runtime.OutboxStats // nil: the App has no outbox to show
}

// queueChart is a queue's chart of the last hour.
type queueChart struct {
	Queue          string
	SVG            template.HTML
	Done, Failures int64
}

// overview serves the overview: every queue with its counts, its last
// hour as a chart, the tenants with the largest backlogs, the most
// failures and the most dead tasks, and the outbox of transactional
// enqueues when the App has one.
func (h *handler) overview(r *http.Request) (*view, error) {
	ctx := r.Context()
	// The queues' counts and every tenant's are read at once: each is a
	// pass over every lane of every queue. The tenants are read once and
	// sorted here three ways; three top-ten pages would cost three passes.
	var (
		all     runtime.TenantPage
		allErr  error
		reading sync.WaitGroup
	)
	reading.Go(func() {
		all, allErr = h.insp.Tenants(ctx, runtime.TenantQuery{Sort: runtime.ByID, Limit: math.MaxInt32})
	})
	var outbox *runtime.OutboxStats
	reading.Go(func() {
		// An App without an outbox (no database for it, no table) fails
		// here, and its overview leaves the box out.
		if st, err := h.app.OutboxStats(ctx); err == nil {
			outbox = &st
		}
	})
	qs, err := h.insp.Queues(ctx)
	reading.Wait()
	if err = cmp.Or(err, allErr); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(qs))
	for _, q := range qs {
		names = append(names, q.Name)
	}
	h.setNames(names)
	d := overviewData{Queues: qs, Outbox: outbox}
	since := time.Now().Add(-time.Hour)
	for i, q := range qs {
		mins, err := h.insp.History(ctx, q.Name, since)
		if err != nil {
			return nil, err
		}
		c := queueChart{Queue: q.Name, SVG: chart(fmt.Sprintf("chart-%d", i), "Queue "+q.Name+": tasks per minute, the last hour", mins)}
		for _, m := range mins {
			c.Done += m.Processed - m.Failed
			c.Failures += m.Failed
		}
		d.Charts = append(d.Charts, c)
	}
	d.Backlog = top(all.Tenants, runtime.TenantInfo.Backlog)
	d.Failed = top(all.Tenants, func(t runtime.TenantInfo) int64 { return t.Failures })
	d.Dead = top(all.Tenants, func(t runtime.TenantInfo) int64 { return t.Dead })
	return &view{Page: "overview", Title: "Overview", Data: d}, nil
}

// top returns the overviewTop tenants with the largest key, largest first,
// ties by ID; tenants whose key is zero are left out.
func top(list []runtime.TenantInfo, key func(runtime.TenantInfo) int64) []runtime.TenantInfo {
	var out []runtime.TenantInfo
	for _, t := range list {
		if key(t) > 0 {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b runtime.TenantInfo) int {
		return cmp.Or(cmp.Compare(key(b), key(a)), strings.Compare(a.ID, b.ID))
	})
	return out[:min(len(out), overviewTop)]
}
