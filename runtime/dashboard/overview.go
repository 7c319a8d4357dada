package dashboard

import (
	"fmt"
	"html/template"
	"net/http"
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
}

// queueChart is a queue's chart of the last hour.
type queueChart struct {
	Queue          string
	SVG            template.HTML
	Done, Failures int64
}

// overview serves the overview: every queue with its counts, its last
// hour as a chart, and the tenants with the largest backlogs, the most
// failures and the most dead tasks.
func (h *handler) overview(_ http.ResponseWriter, r *http.Request) (*view, error) {
	ctx := r.Context()
	qs, err := h.insp.Queues(ctx)
	if err != nil {
		return nil, err
	}
	d := overviewData{Queues: qs}
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
	for sort, dst := range map[runtime.TenantSort]*[]runtime.TenantInfo{
		runtime.ByBacklog: &d.Backlog, runtime.ByFailures: &d.Failed, runtime.ByDead: &d.Dead,
	} {
		page, err := h.insp.Tenants(ctx, runtime.TenantQuery{Sort: sort, Limit: overviewTop})
		if err != nil {
			return nil, err
		}
		*dst = page.Tenants
	}
	return &view{Page: "overview", Title: "Overview", Data: d}, nil
}
