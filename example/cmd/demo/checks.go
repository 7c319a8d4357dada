package main

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/tenantgen/tenantgen/example/service"
)

// check is one verified claim of the demo.
type check struct {
	ok   bool
	what string
}

func (d *demo) check(ok bool, format string, args ...any) {
	d.checks = append(d.checks, check{ok, fmt.Sprintf(format, args...)})
}

func errOrNone(err error) any {
	if err == nil {
		return "as expected"
	}
	return err
}

// verify checks the reports against the plans, and that the queues are
// empty.
func (d *demo) verify(ctx context.Context, reports []service.TenantReport, shared service.SharedReport) {
	byTenant := map[string]service.TenantReport{}
	for _, r := range reports {
		byTenant[r.Tenant] = r
	}
	for _, p := range plans {
		r := byTenant[p.tenant]
		want := p.expected()
		wantRun := 0
		for _, n := range want {
			wantRun += n
		}
		wantDead := 0
		if p.badCharge {
			wantDead = 1
		}
		d.check(r.TasksRun == wantRun && maps.Equal(r.Rows, want), "%s: %d tasks ran and wrote %d rows in schema %s, table by table as sent (rows %v)", p.tenant, r.TasksRun, r.RowsTotal(), r.Schema, r.Rows)
		d.check(r.Foreign == 0 && r.TasksRun > 0, "%s: every task recorded tenant %s and current_schema() %s", p.tenant, p.tenant, r.Schema)
		d.check(r.Retries == 1 && r.Rows["ledger_syncs"] == 1, "%s: SyncLedger failed its first attempt and succeeded on the retry (%d retries)", p.tenant, r.Retries)
		d.check(r.Dead == wantDead, "%s: %d dead letters, want %d", p.tenant, r.Dead, wantDead)
		d.check(r.TasksRun+r.Dead == d.sent[p.tenant]+1, "%s: %d tasks (%d sent, 1 SendDigest) = %d ran + %d dead letters", p.tenant, d.sent[p.tenant]+1, d.sent[p.tenant], r.TasksRun, r.Dead)
		d.check(r.Rows["digests"] == 1, "%s: the DispatchDigests fan-out reached it", p.tenant)
	}
	d.check(shared.RateRefreshes >= 1 && shared.Rates == 3 && shared.Dead == 0, "the public RefreshRates ran, in the shared schema %s (%d rates)", d.s.SharedSchema(), shared.Rates)
	d.check(shared.Dispatches == 1, "the public DispatchDigests ran once, in the shared schema (%d runs)", shared.Dispatches)
	if dead, err := d.app.DeadTasks(ctx, "billing", 10); err == nil && len(dead) == 1 {
		d.check(strings.Contains(dead[0].Error, "not positive"), "the dead letter is initech's refused charge: %s", dead[0].Error)
	}
	idle := true
	for q := range service.Queues {
		st, err := d.app.Stats(ctx, q)
		if err != nil || st.Ready+st.Running+st.Scheduled > 0 {
			idle = false
		}
	}
	d.check(idle, "every queue is empty: nothing left ready, running or scheduled")
}
