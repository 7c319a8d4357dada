// Command tgbench runs tenantgen side by side with asynq and river on the
// same workloads and writes the report docs/benchmarks.md with its chart.
// bench/run.sh builds and runs it; see bench/README.md.
//
//	tgbench run [-full] [flags]    run every arm, print the table, write the report
//	tgbench report -in results.json  rewrite the report from saved results
//	tgbench worker ...             one arm's worker (started by run)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantgen/tenantgen/bench/internal/probe"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tgbench run|report|worker [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = runMain(os.Args[2:])
	case "report":
		err = reportMain(os.Args[2:])
	case "worker":
		err = workerMain(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tgbench:", err)
		os.Exit(1)
	}
}

// results is everything a run measured; the report is made from it.
type results struct {
	Settings settings      `json:"settings"`
	Machine  machine       `json:"machine"`
	Started  time.Time     `json:"started"`
	Took     time.Duration `json:"took"`
	Samples  []sample      `json:"samples"`
	Trips    []trips       `json:"trips"`
	Ceiling  ceiling       `json:"ceiling"`
}

func runMain(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	full := fs.Bool("full", false, "full mode: more tasks and runs (default: quick mode, about a minute)")
	runs := fs.Int("runs", 0, "runs of each arm (default: 3 quick, 5 full)")
	n := fs.Int("n", 0, "tasks per throughput phase, and the fairness workload's noisy backlog (default: 5,000 and 10,000 quick, 50,000 and 40,000 full)")
	armList := fs.String("arms", "", "comma-separated arms (default: all)")
	workloads := fs.String("workloads", "noop,tenant,fanout,fairness,txenqueue", "comma-separated workloads")
	skipCeiling := fs.Bool("no-ceiling", false, "skip pgbench and redis-benchmark")
	skipCount := fs.Bool("no-count", false, "skip the pass that counts round trips")
	pgURL := fs.String("pg", os.Getenv("TENANTGEN_DATABASE_URL"), "PostgreSQL server URL (its database is only used to create "+benchDatabase+")")
	rdURL := fs.String("redis", os.Getenv("TENANTGEN_REDIS_URL"), fmt.Sprintf("Redis server URL (the benchmark uses database %d)", benchRedisDB))
	out := fs.String("out", "../docs", "directory of benchmarks.md and benchmarks.svg; empty: no report")
	resultsPath := fs.String("results", "out/results.json", "where to save the raw results")
	profDir := fs.String("profile", "", "write a CPU profile of every worker into this directory")
	commit := fs.String("commit", "", "tenantgen commit, for the report")
	notes := fs.String("notes", "NOTES.md", "notes included in the report")
	waitQuiet := fs.Duration("wait-quiet", 0, "first wait up to this long for the 1-minute load average to fall below half the cores")
	fs.Parse(args)

	s := settings{Mode: "quick", N: 5000, Tenants: 50, Fanout: 10000, Latency: 100, LatencyGap: 10 * time.Millisecond,
		Batch: 1000, Runs: 3, CountN: 1000, Pool: 20, Concurrency: 16, CeilingSecs: 1, SlowN: 80, FanoutWork: 1,
		FairBacklog: 10000, FairQuiet: 5, FairGap: 20 * time.Millisecond, WorkTime: probe.WorkTime}

	if *full {
		s.Mode, s.N, s.Latency, s.Runs, s.CountN, s.CeilingSecs, s.SlowN, s.FanoutWork = "full", 50000, 500, 5, 10000, 10, 1600, 5
		s.FairBacklog = 40000
	}
	if *runs > 0 {
		s.Runs = *runs
	}
	if *n > 0 {
		s.N, s.FairBacklog = *n, *n
	}
	s.Workloads = strings.Split(*workloads, ",")
	for _, wl := range s.Workloads {
		if !slices.Contains(workloadNames, wl) {
			return fmt.Errorf("unknown workload %q: choose from %s", wl, strings.Join(workloadNames, ", "))
		}
	}
	for _, a := range arms {
		s.Arms = append(s.Arms, a.Name)
	}
	if *armList != "" {
		s.Arms = strings.Split(*armList, ",")
	}
	var sel []*arm
	for _, name := range s.Arms {
		a, err := armByName(name)
		if err != nil {
			return err
		}
		sel = append(sel, a)
	}
	if *pgURL == "" || *rdURL == "" {
		return fmt.Errorf("set TENANTGEN_DATABASE_URL and TENANTGEN_REDIS_URL (bench/run.sh does), or -pg and -redis")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	logf := func(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...) }
	benchPG, benchRD, err := benchURLs(*pgURL, *rdURL)
	if err != nil {
		return err
	}
	if err := ensureDatabase(ctx, *pgURL); err != nil {
		return fmt.Errorf("creating database %s: %w", benchDatabase, err)
	}
	if err := setup(ctx, benchPG, benchRD, s.Fanout, logf); err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, benchPG)
	if err != nil {
		return err
	}
	defer pool.Close()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if *profDir != "" {
		if err := os.MkdirAll(*profDir, 0o755); err != nil {
			return err
		}
		if *profDir, err = filepath.Abs(*profDir); err != nil {
			return err
		}
	}
	d := &driver{s: s, pgURL: benchPG, rdURL: benchRD, pool: pool, self: self, logf: logf, profDir: *profDir}

	if *waitQuiet > 0 {
		waitForQuiet(ctx, *waitQuiet, logf)
	}
	res := results{Settings: s, Started: time.Now()}
	res.Machine = describeMachine(ctx, pool, benchRD, *commit)
	for run := 1; run <= s.Runs; run++ {
		// Alternate the arms: each run starts with the next one.
		order := slices.Clone(sel)
		k := (run - 1) % len(order)
		order = append(order[k:], order[:k]...)
		for _, a := range order {
			for _, wl := range s.Workloads {
				if skip(a, wl) {
					continue
				}
				if ctx.Err() != nil {
					return ctx.Err()
				}
				t0 := time.Now()
				sm := d.runOne(ctx, a, wl, run)
				logf("run %d/%d %-13s %-8s %4.1fs %s", run, s.Runs, a.Name, wl, time.Since(t0).Seconds(), sm.brief())
				res.Samples = append(res.Samples, sm)
			}
		}
	}
	if !*skipCount {
		for _, a := range sel {
			for _, wl := range s.Workloads {
				if wl == "fanout" || wl == "fairness" || wl == "txenqueue" || skip(a, wl) {
					continue
				}
				t0 := time.Now()
				t := d.countTrips(ctx, a, wl)
				logf("round trips %-13s %-8s %4.1fs %s", a.Name, wl, time.Since(t0).Seconds(), t.brief())
				res.Trips = append(res.Trips, t)
			}
		}
	}
	if !*skipCeiling {
		res.Ceiling = measureCeiling(ctx, d, logf)
	}
	d.reset(ctx, 0)
	res.Took = time.Since(res.Started)
	res.Machine.LoadEnd = loadAvg()

	if *resultsPath != "" {
		if err := os.MkdirAll(filepath.Dir(*resultsPath), 0o755); err != nil {
			return err
		}
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*resultsPath, b, 0o644); err != nil {
			return err
		}
	}
	rep := newReport(&res)
	fmt.Print(rep.text())
	if *out != "" {
		return rep.write(*out, *notes)
	}
	return nil
}

// workloadNames are the workloads, in the report's order.
var workloadNames = []string{"noop", "tenant", "fanout", "fairness", "txenqueue"}

// skip tells whether arm a does not run workload wl.
func skip(a *arm, wl string) bool {
	return (wl == "noop" && a.NoNoop) || (wl == "fanout" && a.NoFanout) || (wl == "tenant" && a.NoTenant) || (wl == "fairness" && a.NoFairness) || (wl == "txenqueue" && a.NoTx)
}

func reportMain(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	in := fs.String("in", "out/results.json", "saved results")
	out := fs.String("out", "../docs", "directory of benchmarks.md and benchmarks.svg")
	notes := fs.String("notes", "NOTES.md", "notes included in the report")
	fs.Parse(args)
	b, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	var res results
	if err := json.Unmarshal(b, &res); err != nil {
		return err
	}
	rep := newReport(&res)
	fmt.Print(rep.text())
	return rep.write(*out, *notes)
}

func (s sample) brief() string {
	if s.Err != "" {
		return "ERROR: " + s.Err
	}
	var b strings.Builder
	switch s.Workload {
	case "fanout":
		fmt.Fprintf(&b, "enqueue %d in %.3fs, processing %.0f/s", s.N, s.FanoutSecs, s.Proc)
	case "fairness":
		fmt.Fprintf(&b, "quiet start p50 %.2fms p95 %.2fms p99 %.2fms, backlog of %d drained at %.0f/s, total %.0f/s, no skew %.0f/s",
			s.QuietP50, s.QuietP95, s.QuietP99, s.N, s.Drain, s.Total, s.Even)
		if s.QuietLate > 0 {
			fmt.Fprintf(&b, ", %d quiet tasks enqueued after the drain", s.QuietLate)
		}
	default:
		fmt.Fprintf(&b, "batch %.0f/s, processing %.0f/s, end to end %.0f/s", s.EnqBatch, s.Proc, s.E2E)
		if s.P50 > 0 {
			fmt.Fprintf(&b, ", single %.0fµs, p50 %.2fms p99 %.2fms", s.EnqSingleUS, s.P50, s.P99)
		}
	}
	fmt.Fprintf(&b, ", rss %dMB", s.RSSKB/1024)
	if len(s.Problems) > 0 {
		fmt.Fprintf(&b, " PROBLEMS: %s", quoteList(s.Problems))
	}
	return b.String()
}

func (t trips) brief() string {
	if t.Err != "" {
		return "ERROR: " + t.Err
	}
	return fmt.Sprintf("worker pg %.3f redis %.3f; batch enqueue pg %.3f redis %.3f; single enqueue pg %.2f redis %.2f",
		t.WorkerPG, t.WorkerRD, t.BatchPG, t.BatchRD, t.SinglePG, t.SingleRD)
}
