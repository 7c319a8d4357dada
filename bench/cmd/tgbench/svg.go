package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// armColors colours the arms in the chart.
var armColors = map[string]string{
	"tenantgen":        "#2b6cb0",
	"asynq":            "#dd6b20",
	"river-tuned":      "#38a169",
	"river-default":    "#9ae6b4",
	"tenantgen-capped": "#90cdf4",
}

// svg draws the throughput medians as groups of horizontal bars, one
// group per figure, each with its own scale. The PostgreSQL ceiling
// (pgbench) is a dashed line in the tenant groups.
func (rep *report) svg() string {
	type group struct {
		title   string
		wl      string
		f       func(sample) float64
		ceiling float64
		ceilLbl string
	}
	c := rep.r.Ceiling
	groups := []group{
		{"noop, end to end (tasks/s)", "noop", func(s sample) float64 { return s.E2E }, 0, ""},
		{"noop, processing a backlog (tasks/s)", "noop", func(s sample) float64 { return s.Proc }, 0, ""},
		{"tenant, end to end (tasks/s)", "tenant", func(s sample) float64 { return s.E2E }, c.PGUpdate, "pgbench UPDATE"},
		{"tenant, processing a backlog (tasks/s)", "tenant", func(s sample) float64 { return s.Proc }, c.PGUpdate, "pgbench UPDATE"},
		{"fan-out to 10,000 tenants, processing (tasks/s)", "fanout", func(s sample) float64 { return s.Proc }, 0, ""},
		{"fairness, total under skew (tasks/s)", "fairness", func(s sample) float64 { return s.Total }, rep.r.Settings.fairIdeal(),
			fmt.Sprintf("%d handlers ÷ %v", rep.r.Settings.Concurrency, rep.r.Settings.WorkTime)},
	}
	const (
		width   = 760
		left    = 120
		right   = 90
		barH    = 18
		gap     = 4
		titleH  = 26
		groupGp = 14
	)
	var body strings.Builder
	y := 40
	for _, g := range groups {
		arms := rep.armsIn(g.wl)
		if len(arms) == 0 {
			continue
		}
		maxV := g.ceiling
		for _, a := range arms {
			maxV = max(maxV, g.f(rep.med[[2]string{a, g.wl}]))
		}
		if maxV <= 0 || math.IsNaN(maxV) {
			continue
		}
		scale := float64(width-left-right) / maxV
		fmt.Fprintf(&body, `<text x="10" y="%d" font-weight="bold">%s</text>`+"\n", y+16, html.EscapeString(g.title))
		y += titleH
		top := y
		for _, a := range arms {
			v := g.f(rep.med[[2]string{a, g.wl}])
			w := int(math.Round(v * scale))
			fmt.Fprintf(&body, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-8, y+barH-5, a)
			fmt.Fprintf(&body, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`+"\n", left, y, max(w, 1), barH, armColors[a])
			fmt.Fprintf(&body, `<text x="%d" y="%d">%s</text>`+"\n", left+w+6, y+barH-5, fRate(v))
			y += barH + gap
		}
		if g.ceiling > 0 {
			x := left + int(math.Round(g.ceiling*scale))
			fmt.Fprintf(&body, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#444" stroke-dasharray="4 3"/>`+"\n", x, top-4, x, y)
			fmt.Fprintf(&body, `<text x="%d" y="%d" text-anchor="end" font-size="11" fill="#444">%s %s</text>`+"\n", x-4, top-6, g.ceilLbl, fRate(g.ceiling))
		}
		y += groupGp
	}
	s := rep.r.Settings
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="13">`+"\n", width, y+24)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="10" y="22" font-size="15" font-weight="bold">tenantgen, asynq and river: medians of %d runs, %d cores (%s mode)</text>`+"\n",
		s.Runs, rep.r.Machine.Cores, s.Mode)
	b.WriteString(body.String())
	fmt.Fprintf(&b, `<text x="10" y="%d" font-size="11" fill="#555">Each group has its own scale. Higher is better. See docs/benchmarks.md for settings.</text>`+"\n", y+10)
	b.WriteString("</svg>\n")
	return b.String()
}
