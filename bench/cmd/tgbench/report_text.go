package main

import (
	"fmt"
	"strings"
)

func (rep *report) text() string {
	var b strings.Builder
	s := rep.r.Settings
	fmt.Fprintf(&b, "\nMedians of %d run(s) (%s mode), %d handlers per worker, pgx pool %d; round trips from a separate counting pass.\n\n", s.Runs, s.Mode, s.Concurrency, s.Pool)
	for _, wl := range []string{"noop", "tenant", "txenqueue"} {
		if len(rep.armsIn(wl)) > 0 {
			fmt.Fprintf(&b, "%s:\n%s\n", wl, rep.throughputTable(wl).text())
		}
	}
	if len(rep.armsIn("fanout")) > 0 {
		fmt.Fprintf(&b, "fanout:\n%s\n", rep.fanoutTable().text())
	}
	if len(rep.armsIn("fairness")) > 0 {
		fmt.Fprintf(&b, "fairness:\n%s\n", rep.fairnessTable().text())
	}
	fmt.Fprintf(&b, "ratios:\n%s\n", rep.ratioTable().text())
	t := &table{head: []string{"target", "measured", "result"}}
	for _, tg := range rep.targets() {
		t.add(tg.what, tg.measured, strings.ReplaceAll(tg.met, "**", ""))
	}
	fmt.Fprintf(&b, "targets:\n%s\n", t.text())
	c := rep.r.Ceiling
	fmt.Fprintf(&b, "ceiling: pgbench UPDATE %s tps, SET search_path + UPDATE %s tps, pipelined set_config + UPDATE %s tps; redis PING %s/s, SET %s/s, XADD %s/s\n",
		fRate(c.PGUpdate), fRate(c.PGSetUpdate), fRate(c.PGPipelined), fRate(c.RedisPing), fRate(c.RedisSet), fRate(c.RedisXAdd))
	return b.String()
}
