package main

import (
	"fmt"
	"math"
)

const us = "tenantgen"

// capped is tenantgen with a per-tenant cap that never binds
// (tenantgenCappedArm): the report gives its cost against us.
const capped = "tenantgen-capped"

// fCost formats the fraction of throughput a variant loses (negative: it
// gained) as a signed percentage.
func fCost(c float64) string {
	if math.IsNaN(c) {
		return "—"
	}
	return fmt.Sprintf("%+.1f%%", -100*c)
}

// ratio returns tenantgen's figure over the peer's (or the inverse, for
// figures where less is better), NaN when either is missing.
func (rep *report) ratio(peer, wl string, f func(sample) float64, lessIsBetter bool) float64 {
	if !rep.has(us, wl) || !rep.has(peer, wl) {
		return math.NaN()
	}
	a, b := f(rep.med[[2]string{us, wl}]), f(rep.med[[2]string{peer, wl}])
	if lessIsBetter {
		a, b = b, a
	}
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return a / b
}

// peers are the arms tenantgen is compared with: the other systems, not
// tenantgen's own variants (capped).
func (rep *report) peers() []string {
	var out []string
	for _, a := range rep.r.Settings.Arms {
		if a != us && a != capped {
			out = append(out, a)
		}
	}
	return out
}

func (rep *report) ratioTable() *table {
	t := &table{head: []string{"tenantgen ÷ peer"}}
	for _, p := range rep.peers() {
		t.head = append(t.head, "vs "+p)
	}
	type metric struct {
		name string
		wl   string
		f    func(sample) float64
		less bool
	}
	ms := []metric{
		{"noop end to end", "noop", func(s sample) float64 { return s.E2E }, false},
		{"noop processing", "noop", func(s sample) float64 { return s.Proc }, false},
		{"noop batch enqueue", "noop", func(s sample) float64 { return s.EnqBatch }, false},
		{"single enqueue (time, inverted)", "noop", func(s sample) float64 { return s.EnqSingleUS }, true},
		{"start latency p50 (inverted)", "noop", func(s sample) float64 { return s.P50 }, true},
		{"start latency p99 (inverted)", "noop", func(s sample) float64 { return s.P99 }, true},
		{"tenant end to end", "tenant", func(s sample) float64 { return s.E2E }, false},
		{"tenant processing", "tenant", func(s sample) float64 { return s.Proc }, false},
		{"fan-out enqueue (time, inverted)", "fanout", func(s sample) float64 { return s.FanoutSecs }, true},
		{"worker peak RSS, noop (inverted)", "noop", func(s sample) float64 { return float64(s.RSSKB) }, true},
		{"fairness: quiet start latency p95 (inverted)", "fairness", func(s sample) float64 { return s.QuietP95 }, true},
		{"fairness: total throughput under skew", "fairness", func(s sample) float64 { return s.Total }, false},
	}
	for _, m := range ms {
		if !rep.ran(m.wl) {
			continue
		}
		row := []string{m.name}
		for _, p := range rep.peers() {
			row = append(row, fRatio(rep.ratio(p, m.wl, m.f, m.less)))
		}
		t.add(row...)
	}
	return t
}

// target is one of the issues' targets (7: throughput, 12: fairness).
type target struct {
	what     string
	measured string
	met      string
}

func (rep *report) targets() []target {
	check := func(v, want float64, strict bool) string {
		switch {
		case math.IsNaN(v):
			return "not measured"
		case v > want || (!strict && v >= want):
			return "met"
		default:
			return "**missed**"
		}
	}
	e2e := func(s sample) float64 { return s.E2E }
	proc := func(s sample) float64 { return s.Proc }
	var ts []target
	for _, c := range []struct {
		what     string
		wl, peer string
		want     float64
		strict   bool
	}{
		{"tenant workload ≥ 2× asynq", "tenant", "asynq", 2, false},
		{"tenant workload ≥ 1.5× tuned river", "tenant", "river-tuned", 1.5, false},
		{"noop ≥ 2× asynq", "noop", "asynq", 2, false},
		{"noop ahead of tuned river", "noop", "river-tuned", 1, true},
		{"noop end to end ≥ 2.5× tuned river (issue 12)", "noop", "river-tuned", 2.5, false},
	} {
		if !rep.ran(c.wl) {
			continue
		}
		re, rp := rep.ratio(c.peer, c.wl, e2e, false), rep.ratio(c.peer, c.wl, proc, false)
		met := check(re, c.want, c.strict)
		if m2 := check(rp, c.want, c.strict); m2 != met {
			met += " end to end; " + m2 + " processing only"
		}
		ts = append(ts, target{c.what, fmt.Sprintf("%s end to end, %s processing only", fRatio(re), fRatio(rp)), met})
	}
	if rep.ran("tenant") && rep.has(capped, "tenant") {
		cost := func(f func(sample) float64) float64 {
			return 1 - f(rep.med[[2]string{capped, "tenant"}])/f(rep.med[[2]string{us, "tenant"}])
		}
		ce, cp := cost(e2e), cost(proc)
		ts = append(ts, target{"a per-tenant cap costs < 10% of throughput, tenant workload (issue 12)",
			fmt.Sprintf("%s end to end, %s processing only", fCost(ce), fCost(cp)),
			check(0.10, max(ce, cp), true)})
	}
	if rep.ran("fanout") {
		fo := math.NaN()
		if rep.has(us, "fanout") {
			fo = rep.med[[2]string{us, "fanout"}].FanoutSecs
		}
		m := "not measured"
		if !math.IsNaN(fo) {
			m = check(1, fo, true)
		}
		ts = append(ts, target{fmt.Sprintf("fan-out of %s tenants enqueued in < 1 s", groupDigits(int64(rep.r.Settings.Fanout))), fmt.Sprintf("%.3f s", fo), m})
	}
	if rep.ran("fairness") {
		ts = append(ts, rep.fairnessTargets()...)
	}
	return ts
}
