package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// The fairness workload's part of the report.

// fairIdeal is the fairness workload's best possible rate: every handler
// busy, each task taking exactly WorkTime.
func (s settings) fairIdeal() float64 {
	if s.WorkTime <= 0 {
		return 0
	}
	return float64(s.Concurrency) / s.WorkTime.Seconds()
}

// skewShare is total throughput under skew over throughput without, NaN
// when either is missing.
func skewShare(m sample) float64 {
	if m.Even == 0 || math.IsNaN(m.Even) || math.IsNaN(m.Total) {
		return math.NaN()
	}
	return m.Total / m.Even
}

func fPercent(v float64) string {
	if math.IsNaN(v) || v == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", 100*v)
}

func (rep *report) fairnessTable() *table {
	t := &table{head: []string{"arm", "noisy backlog", "quiet tasks", "quiet start latency p50 / p95 / p99 ms", "noisy drain /s", "total /s", "no skew /s", "total ÷ no skew", "worker peak RSS MB", "correct"}}
	for _, a := range rep.armsIn("fairness") {
		m := rep.med[[2]string{a, "fairness"}]
		t.add(a, groupDigits(int64(m.N)), groupDigits(int64(m.QuietN)),
			fMS(m.QuietP50)+" / "+fMS(m.QuietP95)+" / "+fMS(m.QuietP99),
			fRate(m.Drain), fRate(m.Total), fRate(m.Even), fPercent(skewShare(m)),
			fmt.Sprintf("%.0f", float64(m.RSSKB)/1024), rep.okShort(a, "fairness"))
	}
	return t
}

// fairnessSection is the fairness workload's section of docs/benchmarks.md.
func (rep *report) fairnessSection() string {
	s := rep.r.Settings
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("## fairness: one noisy tenant, %d quiet ones\n\n", s.FairQuiet)
	p("Issue 12's measurement. One noisy tenant (%s) has %s tasks queued before the worker starts. Once the worker has started its first task, %d quiet tenants (%s to %s) each enqueue one task every %v with a single enqueue call, spread evenly over that interval, %d tasks each: as many as fit in the time the backlog would take to drain with every handler busy, so all of them arrive while it drains. Every task sleeps %v and touches no database, and every arm runs %d handlers, so the handlers bound the rate (%s tasks/s at best): the figures show in which order each queue starts work, not how fast it is.\n\n",
		tenantID(noisyTenant), groupDigits(int64(s.FairBacklog)), s.FairQuiet, tenantID(noisyTenant+1), tenantID(noisyTenant+s.FairQuiet), s.FairGap, s.quietRounds(), s.WorkTime, s.Concurrency, fRate(s.fairIdeal()))
	p("**Quiet start latency** runs from just before a quiet tenant's enqueue call to the start of its task. **Noisy drain** is the backlog's tasks over the span from its first start to its last end; **total** counts every task of the pass, noisy and quiet, from the same first start to the last end. **No skew** then enqueues as many tasks again (%s), round-robin over the same %d tenants, before a fresh worker starts, and times them from first start to last end; **total ÷ no skew** is what the skew costs in throughput.\n\n",
		groupDigits(int64(s.FairBacklog+s.quietRounds()*s.FairQuiet)), s.fairTenants())
	if len(rep.armsIn("fairness")) > 0 {
		p("%s\n", rep.fairnessTable().markdown())
	}
	p("What each arm does to share its handlers between tenants, as its users would:\n\n")
	for _, name := range s.Arms {
		a, err := armByName(name)
		if err != nil {
			continue
		}
		if name == capped {
			continue // a variant of tenantgen for the tenant workload
		}
		if a.NoFairness {
			p("- **%s**: skipped (see Method).\n", a.Name)
			continue
		}
		p("- **%s**: %s.\n", a.Name, a.Fairness)
	}
	p("\n")
	return b.String()
}

// fairnessTargets are issue 12's targets that the fairness workload
// measures, for tenantgen alone.
func (rep *report) fairnessTargets() []target {
	m, ok := rep.med[[2]string{us, "fairness"}], rep.has(us, "fairness")
	p95, share := math.NaN(), math.NaN()
	if ok {
		p95, share = m.QuietP95, skewShare(m)
	}
	met := func(good bool, v float64) string {
		switch {
		case math.IsNaN(v):
			return "not measured"
		case good:
			return "met"
		}
		return "**missed**"
	}
	limit := 50 * time.Millisecond
	return []target{
		{fmt.Sprintf("quiet tenants' start latency p95 < %v while a backlog drains (issue 12)", limit), fMS(p95) + " ms", met(p95 < float64(limit)/float64(time.Millisecond), p95)},
		{"total throughput under skew ≥ 95% of no skew (issue 12)", fPercent(share), met(share >= 0.95, share)},
	}
}
