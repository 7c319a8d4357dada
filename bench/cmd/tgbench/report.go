package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// report turns results into the console table and docs/benchmarks.md.
type report struct {
	r   *results
	med map[[2]string]sample // medians per arm and workload
	ok  map[[2]string]string // correctness per arm and workload
	n   map[[2]string]int    // runs that produced figures
}

func newReport(r *results) *report {
	rep := &report{r: r, med: map[[2]string]sample{}, ok: map[[2]string]string{}, n: map[[2]string]int{}}
	groups := map[[2]string][]sample{}
	for _, s := range r.Samples {
		k := [2]string{s.Arm, s.Workload}
		groups[k] = append(groups[k], s)
	}
	for k, ss := range groups {
		var good []sample
		var bad []string
		for _, s := range ss {
			if s.Err != "" {
				bad = append(bad, fmt.Sprintf("run %d: %s", s.Run, s.Err))
				continue
			}
			good = append(good, s)
			for _, p := range s.Problems {
				bad = append(bad, fmt.Sprintf("run %d: %s", s.Run, p))
			}
		}
		rep.n[k] = len(good)
		med := func(f func(sample) float64) float64 {
			var v []float64
			for _, s := range good {
				if x := f(s); x != 0 { // 0: not measured in that run
					v = append(v, x)
				}
			}
			return median(v)
		}
		rep.med[k] = sample{Arm: k[0], Workload: k[1], N: ss[0].N,
			EnqBatch:    med(func(s sample) float64 { return s.EnqBatch }),
			EnqSingleUS: med(func(s sample) float64 { return s.EnqSingleUS }),
			Proc:        med(func(s sample) float64 { return s.Proc }),
			E2E:         med(func(s sample) float64 { return s.E2E }),
			P50:         med(func(s sample) float64 { return s.P50 }),
			P99:         med(func(s sample) float64 { return s.P99 }),
			FanoutSecs:  med(func(s sample) float64 { return s.FanoutSecs }),
			RSSKB:       int(med(func(s sample) float64 { return float64(s.RSSKB) })),
		}
		if len(bad) == 0 {
			rep.ok[k] = fmt.Sprintf("yes (%d/%d runs)", len(good), len(ss))
		} else {
			rep.ok[k] = "NO: " + strings.Join(bad, "; ")
		}
	}
	return rep
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func (rep *report) has(arm, wl string) bool {
	_, ok := rep.med[[2]string{arm, wl}]
	return ok && rep.n[[2]string{arm, wl}] > 0
}

func (rep *report) trip(arm, wl string) (trips, bool) {
	for _, t := range rep.r.Trips {
		if t.Arm == arm && t.Workload == wl && t.Err == "" {
			return t, true
		}
	}
	return trips{}, false
}

// Number formats.
func fRate(v float64) string {
	if math.IsNaN(v) || v == 0 {
		return "—"
	}
	return groupDigits(int64(math.Round(v)))
}

func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func fMS(v float64) string {
	switch {
	case math.IsNaN(v) || v == 0:
		return "—"
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

func fRatio(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) || v == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", v)
}

func fTrips(v float64) string {
	if v > 0 && v < 0.1 {
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// table is a simple table rendered as Markdown or aligned text.
type table struct {
	head []string
	rows [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) markdown() string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(t.head, " | ") + " |\n|")
	for range t.head {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}

func (t *table) text() string {
	w := make([]int, len(t.head))
	for _, r := range append([][]string{t.head}, t.rows...) {
		for i, c := range r {
			w[i] = max(w[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	line := func(r []string) {
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := w[i] - len([]rune(c))
			if i == 0 {
				b.WriteString(c + strings.Repeat(" ", pad))
			} else {
				b.WriteString(strings.Repeat(" ", pad) + c)
			}
		}
		b.WriteString("\n")
	}
	line(t.head)
	for _, r := range t.rows {
		line(r)
	}
	return b.String()
}

func (rep *report) armsIn(wl string) []string {
	var out []string
	for _, a := range rep.r.Settings.Arms {
		if rep.has(a, wl) {
			out = append(out, a)
		}
	}
	return out
}

func (rep *report) okShort(arm, wl string) string {
	ok := rep.ok[[2]string{arm, wl}]
	if strings.HasPrefix(ok, "yes") {
		return ok
	}
	return "**NO** (see below)"
}

// throughputTable is the table of the noop or tenant workload.
func (rep *report) throughputTable(wl string) *table {
	t := &table{head: []string{"arm", "tasks", "batch enqueue /s", "single enqueue µs", "processing /s", "end to end /s"}}
	if wl == "noop" {
		t.head = append(t.head, "start latency p50 / p99 ms")
	}
	t.head = append(t.head, "worker peak RSS MB", "PG + Redis round trips per task", "correct")
	for _, a := range rep.armsIn(wl) {
		m := rep.med[[2]string{a, wl}]
		single := "—"
		if !math.IsNaN(m.EnqSingleUS) && m.EnqSingleUS > 0 {
			single = fmt.Sprintf("%.0f", m.EnqSingleUS)
		}
		if wl != "noop" {
			single = "(as noop)"
		}
		row := []string{a, groupDigits(int64(m.N)), fRate(m.EnqBatch), single, fRate(m.Proc), fRate(m.E2E)}
		if wl == "noop" {
			row = append(row, fMS(m.P50)+" / "+fMS(m.P99))
		}
		rt := "—"
		if tr, ok := rep.trip(a, wl); ok {
			rt = fTrips(tr.WorkerPG) + " + " + fTrips(tr.WorkerRD)
		}
		row = append(row, fmt.Sprintf("%.0f", float64(m.RSSKB)/1024), rt, rep.okShort(a, wl))
		t.add(row...)
	}
	return t
}

func (rep *report) fanoutTable() *table {
	t := &table{head: []string{"arm", "tenants", "enqueue one task per tenant, s", "processing /s", "worker peak RSS MB", "correct"}}
	for _, a := range rep.armsIn("fanout") {
		m := rep.med[[2]string{a, "fanout"}]
		t.add(a, groupDigits(int64(m.N)), fmt.Sprintf("%.3f", m.FanoutSecs), fRate(m.Proc), fmt.Sprintf("%.0f", float64(m.RSSKB)/1024), rep.okShort(a, "fanout"))
	}
	return t
}

const us = "tenantgen"

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

func (rep *report) peers() []string {
	var out []string
	for _, a := range rep.r.Settings.Arms {
		if a != us {
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
	}
	for _, m := range ms {
		row := []string{m.name}
		for _, p := range rep.peers() {
			row = append(row, fRatio(rep.ratio(p, m.wl, m.f, m.less)))
		}
		t.add(row...)
	}
	return t
}

// target is one of issue 7's targets.
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
	} {
		re, rp := rep.ratio(c.peer, c.wl, e2e, false), rep.ratio(c.peer, c.wl, proc, false)
		met := check(re, c.want, c.strict)
		if m2 := check(rp, c.want, c.strict); m2 != met {
			met += " end to end; " + m2 + " processing only"
		}
		ts = append(ts, target{c.what, fmt.Sprintf("%s end to end, %s processing only", fRatio(re), fRatio(rp)), met})
	}
	fo := math.NaN()
	if rep.has(us, "fanout") {
		fo = rep.med[[2]string{us, "fanout"}].FanoutSecs
	}
	m := "not measured"
	if !math.IsNaN(fo) {
		m = check(1, fo, true)
	}
	ts = append(ts, target{fmt.Sprintf("fan-out of %s tenants enqueued in < 1 s", groupDigits(int64(rep.r.Settings.Fanout))), fmt.Sprintf("%.3f s", fo), m})
	return ts
}

func (rep *report) text() string {
	var b strings.Builder
	s := rep.r.Settings
	fmt.Fprintf(&b, "\nMedians of %d run(s) (%s mode), %d handlers per worker, pgx pool %d; round trips from a separate counting pass.\n\n", s.Runs, s.Mode, s.Concurrency, s.Pool)
	for _, wl := range []string{"noop", "tenant"} {
		if len(rep.armsIn(wl)) > 0 {
			fmt.Fprintf(&b, "%s:\n%s\n", wl, rep.throughputTable(wl).text())
		}
	}
	if len(rep.armsIn("fanout")) > 0 {
		fmt.Fprintf(&b, "fanout:\n%s\n", rep.fanoutTable().text())
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

func (rep *report) write(dir, notesPath string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	notes, err := os.ReadFile(notesPath)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "benchmarks.svg"), []byte(rep.svg()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "benchmarks.md"), []byte(rep.markdown(string(notes))), 0o644)
}

func (rep *report) markdown(notes string) string {
	r := rep.r
	s, m := r.Settings, r.Machine
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# Benchmarks: tenantgen, asynq and river side by side\n\n")
	p("<!-- Generated by bench/run.sh. Edit bench/NOTES.md or bench/cmd/tgbench, not this file. -->\n\n")
	p("Measured by `bench/run.sh` (%s mode) on %s, %d cores (%s), %.0f GB RAM, on %s; the run took %s. ",
		s.Mode, r.Started.UTC().Format("2006-01-02"), m.Cores, m.CPU, m.MemGB, "Linux "+m.Kernel, r.Took.Round(time.Second))
	p("Every figure is the **median of %d run%s**; the arms alternate (each run starts with the next arm). ", s.Runs, plural(s.Runs))
	p("Higher is better except for times, latency and memory. Machine, versions and settings are at the end.\n\n")
	p("![Throughput per arm, tasks per second](benchmarks.svg)\n\n")

	p("## Targets (issue 7)\n\n")
	t := &table{head: []string{"target", "measured (tenantgen ÷ peer)", "result"}}
	for _, tg := range rep.targets() {
		t.add(tg.what, tg.measured, tg.met)
	}
	p("%s\n", t.markdown())

	p("## noop: tasks that do nothing\n\n")
	p("%s tasks per phase (river-default: %s, see below).\n\n", groupDigits(int64(s.N)), groupDigits(int64(s.tasks(riverDefaultArm, s.N))))
	p("%s\n", rep.throughputTable("noop").markdown())
	p("## tenant: switch to the tenant's schema, update one row\n\n")
	p("%s tasks per phase, round-robin over %d tenant schemas.\n\n", groupDigits(int64(s.N)), s.Tenants)
	if len(rep.armsIn("tenant")) > 0 {
		p("%s\n", rep.throughputTable("tenant").markdown())
	}
	p("## fanout: one task per tenant\n\n")
	p("The enqueuing process lists the tenants from the tenants table and enqueues one tenant task (the same update as above) for each of the %s tenants; the time covers both. The worker is started afterwards and works them, each in its own schema.", groupDigits(int64(s.Fanout)))
	if s.FanoutWork < s.Runs {
		works := "only the first run works the tasks"
		if s.FanoutWork > 1 {
			works = fmt.Sprintf("only the first %d runs work the tasks", s.FanoutWork)
		}
		p(" To save time, %s; the others time the enqueue and check that all %s tasks are queued.", works, groupDigits(int64(s.Fanout)))
	}
	p("\n\n")
	if len(rep.armsIn("fanout")) > 0 {
		p("%s\n", rep.fanoutTable().markdown())
	}

	p("## tenantgen compared\n\n")
	p("Ratio of tenantgen's median to each peer's: above 1 means tenantgen is better. For times, latency and memory the ratio is inverted (peer ÷ tenantgen), so above 1 still means better.\n\n")
	p("%s\n", rep.ratioTable().markdown())

	c := r.Ceiling
	p("## The machine's ceiling\n\n")
	p("PostgreSQL and Redis alone, on the same servers, with %d clients (as many as the arms' handlers):\n\n", c.Clients)
	ct := &table{head: []string{"what", "per second", "tool"}}
	ct.add("PostgreSQL: the tenant workload's UPDATE, schema-qualified, random tenant (1 round trip)", fRate(c.PGUpdate), "pgbench")
	ct.add("PostgreSQL: `SET search_path` then the UPDATE (2 round trips, as the asynq and river arms do)", fRate(c.PGSetUpdate), "pgbench")
	ct.add("PostgreSQL: `set_config('search_path', …, true)` and the UPDATE pipelined in one transaction (1 round trip, as tenantgen's DBStatement mode does)", fRate(c.PGPipelined), "pgbench -M extended")
	ct.add("Redis: PING", fRate(c.RedisPing), "redis-benchmark")
	ct.add("Redis: SET", fRate(c.RedisSet), "redis-benchmark")
	ct.add("Redis: XADD", fRate(c.RedisXAdd), "redis-benchmark")
	p("%s\n", ct.markdown())
	if c.PGUpdate > 0 {
		p("Share of the one-round-trip ceiling reached by the tenant workload (end to end):")
		for _, a := range rep.armsIn("tenant") {
			p(" %s %.0f%%;", a, 100*rep.med[[2]string{a, "tenant"}].E2E/c.PGUpdate)
		}
		p(" and of the noop workload relative to Redis PING:")
		for _, a := range rep.armsIn("noop") {
			if a == "river-tuned" || a == "river-default" {
				continue
			}
			p(" %s %.0f%%;", a, 100*rep.med[[2]string{a, "noop"}].E2E/max(c.RedisPing, 1))
		}
		p(" (a queue moves many tasks per round trip, so it can pass 100%%).\n\n")
	}
	p("Commands: `%s`; `%s`.", c.PGBench, c.RedisBench)
	if c.Err != "" {
		p(" Errors: %s.", c.Err)
	}
	p("\n\n")

	p("## Round trips per task\n\n")
	p("Counted in a separate pass (%s tasks, plus 100 single enqueues), with every connection of the enqueuing process and of the worker going through a counting proxy: a round trip is each time a server answers after the client sent something. Pipelined commands, batches and multi-statement queries count once. The worker's count covers its whole life: start-up, polling and maintenance included. The timed runs do not use the proxy. (pg_stat_statements would count statements rather than round trips, and it needs `shared_preload_libraries`, which a shared server rarely has; a pgx tracer would miss what does not go through pgx, such as Redis, and count a pipelined batch by its statements. The proxy counts every arm the same way.)\n\n", groupDigits(int64(s.CountN)))
	tt := &table{head: []string{"arm", "workload", "worker: PostgreSQL", "worker: Redis", "batch enqueue: PostgreSQL", "batch enqueue: Redis", "single enqueue: PostgreSQL", "single enqueue: Redis"}}
	for _, tr := range r.Trips {
		if tr.Err != "" {
			tt.add(tr.Arm, tr.Workload, "error: "+tr.Err, "", "", "", "", "")
			continue
		}
		tt.add(tr.Arm, tr.Workload, fTrips(tr.WorkerPG), fTrips(tr.WorkerRD), fTrips(tr.BatchPG), fTrips(tr.BatchRD), fTrips(tr.SinglePG), fTrips(tr.SingleRD))
	}
	p("%s\n", tt.markdown())

	var problems []string
	for _, a := range s.Arms {
		for _, wl := range s.Workloads {
			if ok, found := rep.ok[[2]string{a, wl}]; found && !strings.HasPrefix(ok, "yes") {
				problems = append(problems, fmt.Sprintf("- %s, %s: %s", a, wl, strings.TrimPrefix(ok, "NO: ")))
			}
		}
	}
	p("## Correctness\n\n")
	p("After every run the worker's count of each phase must equal the tasks enqueued, with no task run twice, and every tenant's row must hold exactly the number of updates its tasks made (one per task). ")
	if len(problems) == 0 {
		p("Every run of every arm passed.\n\n")
	} else {
		p("These runs failed:\n\n%s\n\n", strings.Join(problems, "\n"))
	}

	p("## Arms\n\n")
	for _, name := range s.Arms {
		if a, err := armByName(name); err == nil {
			p("- **%s**: %s.\n", a.Name, a.Label)
		}
	}
	p("\n")
	p("## Method\n\n")
	p("`bench/` is a Go module of its own (the main module never depends on asynq or river). The tenantgen arm uses the stubs that tenantgen generates for the annotated tasks in `bench/tasks`, as an application would. The asynq and river arms are written as their users would write them; their tenant task takes a pooled connection, runs `SET search_path TO <tenant schema>, public` and then the UPDATE (two round trips), with the tenant → schema map loaded from the tenants table once at start.\n\n")
	p("Each arm's worker is a subprocess of the driver (`tgbench worker`); the driver enqueues, the worker reports when a phase's tasks are all done, and the driver reads the worker's peak RSS (`VmHWM` in `/proc/<pid>/status`) before stopping it. Per arm and workload, in order:\n\n")
	p("1. **batch enqueue**: %s tasks in batches of %s with no worker running (asynq, which has no batch API in v0.26, uses 16 goroutines calling `Enqueue`);\n", groupDigits(int64(s.N)), groupDigits(int64(s.Batch)))
	p("2. **processing**: the worker starts and works that backlog; the rate is measured from the moment the first tenth of the tasks are done to the last task's end, so that start-up (connecting, first tenant lookups, preparing statements) is left out for every arm alike;\n")
	p("3. **single enqueue and start latency** (noop only): %d tasks enqueued one call each, one every %v (a light load, below every arm's capacity, river-default's 160/s included, so the worker is idle in between); latency is from just before the enqueue call to the start of the task body, across processes on one clock;\n", s.Latency, s.LatencyGap)
	p("4. **end to end**: %s more tasks enqueued in batches while the (idle) worker runs, from the first enqueue to the last task's end. This includes the time a worker takes to notice new work: asynq polls an empty queue about once a second by default, which weighs on its end-to-end figure at small task counts (quick mode) and much less in full mode.\n\n", groupDigits(int64(s.N)))
	p("Same handler concurrency (%d) and the same pgx pool size in every worker (%d, below PostgreSQL's max_connections of %s), except that tuned river runs 2,000 workers, as its own benchmark does. river-default is capped by design at about MaxWorkers ÷ FetchCooldown = 160 tasks/s, so it runs %d tasks per phase and skips the fan-out (its enqueue path is river-tuned's). Before each workload the driver empties the benchmark's Redis database and river's job table and zeroes the tenants' rows. Data lives in a database of its own (`%s`) and Redis database %d, apart from the tests'.\n\n",
		s.Concurrency, s.Pool, m.PGSettings["max_connections"], s.tasks(riverDefaultArm, s.N), benchDatabase, benchRedisDB)

	p("## Machine, versions and settings\n\n")
	p("- CPU: %s, %d cores; RAM %.1f GB; Linux %s\n", m.CPU, m.Cores, m.MemGB, m.Kernel)
	p("- PostgreSQL %s (", m.Postgres)
	keys := make([]string, 0, len(m.PGSettings))
	for k := range m.PGSettings {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			p(", ")
		}
		p("%s %s", k, m.PGSettings[k])
	}
	p("), Redis %s (%s), both on loopback\n", m.Redis, m.RedisPers)
	p("- %s; ", m.Go)
	mods := make([]string, 0, len(m.Modules))
	for k, v := range m.Modules {
		mods = append(mods, k+" "+v)
	}
	slices.Sort(mods)
	p("%s; tenantgen at %s\n", strings.Join(mods, ", "), orUnknown(m.Commit))
	p("- mode %s: %s tasks per phase, %d tenants, fan-out over %s, %d latency tasks, batches of %s, %d run%s, counting pass of %s tasks\n",
		s.Mode, groupDigits(int64(s.N)), s.Tenants, groupDigits(int64(s.Fanout)), s.Latency, groupDigits(int64(s.Batch)), s.Runs, plural(s.Runs), groupDigits(int64(s.CountN)))
	if m.LoadStart != "" {
		p("- load average (1, 5, 15 min) when the run started: %s; when it ended: %s. The machine may be shared with other work (builds, test suites), which adds noise; the medians and alternating arms damp it, they do not remove it.\n\n", m.LoadStart, m.LoadEnd)
	}
	p("Driver, worker, PostgreSQL and Redis share the machine's cores, as they would on a small production host; on a 2-core machine they compete, which favours systems that make fewer round trips and wake-ups per task.\n\n")
	if strings.TrimSpace(notes) != "" {
		p("## Notes\n\n%s\n", strings.TrimSpace(notes))
	}
	p("\n## Reproduce\n\n```sh\nbench/run.sh          # quick mode, about a minute\nbench/run.sh --full   # full mode\nbench/run.sh --profile  # also write a CPU profile of every worker to bench/out/pprof\n```\n")
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown commit)"
	}
	return s
}
