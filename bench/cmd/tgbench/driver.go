package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantgen/tenantgen/bench/internal/probe"
)

// settings are the knobs of one benchmark invocation.
type settings struct {
	Mode        string        `json:"mode"`        // quick or full
	N           int           `json:"n"`           // tasks per throughput phase
	Tenants     int           `json:"tenants"`     // tenants of the tenant workload
	Fanout      int           `json:"fanout"`      // tenants of the fan-out
	Latency     int           `json:"latency"`     // tasks of the latency phase
	LatencyGap  time.Duration `json:"latency_gap"` // between two latency tasks
	Batch       int           `json:"batch"`       // tasks per batch enqueue
	Runs        int           `json:"runs"`
	CountN      int           `json:"count_n"` // tasks per phase in the counting pass
	Pool        int           `json:"pool"`
	Concurrency int           `json:"concurrency"`
	Workloads   []string      `json:"workloads"`
	Arms        []string      `json:"arms"`
	CeilingSecs int           `json:"ceiling_secs"`
	SlowN       int           `json:"slow_n"` // tasks per phase of slow arms
	// FanoutWork is how many runs work the fan-out's tasks; later runs
	// only time the enqueue and count the tasks queued.
	FanoutWork int `json:"fanout_work"`
}

// tasks returns how many tasks arm a runs in a phase of n.
func (s settings) tasks(a *arm, n int) int {
	if a.Slow {
		return min(n, s.SlowN)
	}
	return n
}

// sample holds the figures of one arm on one workload in one run.
type sample struct {
	Arm      string `json:"arm"`
	Workload string `json:"workload"`
	Run      int    `json:"run"`
	N        int    `json:"n"`

	EnqBatch    float64 `json:"enq_batch"`     // tasks/s, batch enqueue of the backlog
	EnqSingleUS float64 `json:"enq_single_us"` // median µs of a single enqueue
	Proc        float64 `json:"proc"`          // tasks/s working the backlog
	E2E         float64 `json:"e2e"`           // tasks/s, enqueue while the worker runs
	P50         float64 `json:"p50_ms"`
	P99         float64 `json:"p99_ms"`
	FanoutSecs  float64 `json:"fanout_s"` // seconds to enqueue the fan-out
	RSSKB       int     `json:"rss_kb"`   // worker's peak RSS

	Problems []string `json:"problems,omitempty"` // lost, duplicated or miscounted tasks
	Err      string   `json:"error,omitempty"`
}

// trips holds the round trips per task counted in the counting pass.
type trips struct {
	Arm      string  `json:"arm"`
	Workload string  `json:"workload"`
	N        int     `json:"n"`
	WorkerPG float64 `json:"worker_pg"`
	WorkerRD float64 `json:"worker_redis"`
	BatchPG  float64 `json:"batch_pg"`
	BatchRD  float64 `json:"batch_redis"`
	SinglePG float64 `json:"single_pg"`
	SingleRD float64 `json:"single_redis"`
	Err      string  `json:"error,omitempty"`
}

// driver runs the arms.
type driver struct {
	s       settings
	pgURL   string // benchmark database
	rdURL   string // benchmark Redis database
	pool    *pgxpool.Pool
	self    string // this executable, run as the worker
	logf    func(string, ...any)
	profDir string
}

// worker is a running worker subprocess.
type worker struct {
	cmd     *exec.Cmd
	results chan probe.Result
	got     map[int]probe.Result // results received while waiting for another phase
	exited  chan error
}

func (d *driver) startWorker(ctx context.Context, a *arm, e env, want [probe.NumPhases]int, profile string) (*worker, error) {
	ws := make([]string, len(want))
	for i, n := range want {
		ws[i] = strconv.Itoa(n)
	}
	args := []string{"worker", "-arm", a.Name, "-want", strings.Join(ws, ","),
		"-pg", e.PG, "-redis", e.Redis, "-pool", strconv.Itoa(e.Pool), "-concurrency", strconv.Itoa(e.Concurrency)}
	if profile != "" {
		args = append(args, "-cpuprofile", profile)
	}
	cmd := exec.Command(d.self, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &worker{cmd: cmd, results: make(chan probe.Result, probe.NumPhases), got: map[int]probe.Result{}, exited: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var r probe.Result
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				d.logf("worker %s: %s", a.Name, sc.Text())
				continue
			}
			w.results <- r
		}
		w.exited <- cmd.Wait()
	}()
	return w, nil
}

// wait returns the Result of phase, or an error if the worker exits or
// the phase takes longer than timeout.
func (w *worker) wait(phase int, timeout time.Duration) (probe.Result, error) {
	if r, ok := w.got[phase]; ok {
		return r, nil
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case r := <-w.results:
			if r.Phase == phase {
				return r, nil
			}
			w.got[r.Phase] = r
		case err := <-w.exited:
			w.exited <- err
			return probe.Result{}, fmt.Errorf("worker exited early: %v", err)
		case <-t.C:
			return probe.Result{}, fmt.Errorf("%s phase not done after %v", probe.PhaseNames[phase], timeout)
		}
	}
}

// peakRSS returns the worker's peak resident set size in kB (VmHWM).
func (w *worker) peakRSS() int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", w.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// stop stops the worker gracefully, killing it if it takes too long.
func (w *worker) stop() error {
	w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-w.exited:
		return err
	case <-time.After(30 * time.Second):
		w.cmd.Process.Kill()
		return errors.New("worker did not stop within 30s; killed")
	}
}

// phaseTimeout bounds the wait for n tasks of an arm.
func phaseTimeout(n int) time.Duration { return 60*time.Second + time.Duration(n)*10*time.Millisecond }

// reset empties the queues of every arm and zeroes the tenant counters.
func (d *driver) reset(ctx context.Context, tenants int) error {
	if err := resetRedis(ctx, d.rdURL); err != nil {
		return fmt.Errorf("reset redis: %w", err)
	}
	if err := resetRiver(ctx, d.pool); err != nil {
		return fmt.Errorf("reset river: %w", err)
	}
	if tenants > 0 {
		if err := resetCounters(ctx, d.pool, tenants); err != nil {
			return fmt.Errorf("reset counters: %w", err)
		}
	}
	return nil
}

func nowNano() int64 { return time.Now().UnixNano() }

// jobs returns n jobs of phase; with tenants > 0 they go round-robin to
// tenants 1 to tenants.
func jobs(phase, n, tenants int) []job {
	js := make([]job, n)
	for i := range js {
		js[i] = job{Args: probe.Args{Phase: phase, Seq: i}}
		if tenants > 0 {
			js[i].Tenant = tenantID(i%tenants + 1)
		}
	}
	return js
}

// enqueueBatches enqueues js in batches of d.s.Batch and returns how long it
// took.
func (d *driver) enqueueBatches(ctx context.Context, q enqueuer, js []job) (time.Duration, error) {
	start := time.Now()
	for lo := 0; lo < len(js); lo += d.s.Batch {
		b := js[lo:min(lo+d.s.Batch, len(js))]
		now := nowNano()
		for i := range b {
			b[i].T0 = now
		}
		if err := q.Many(ctx, b); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// steadyRate is the rate at which the worker did a phase's tasks once the
// first tenth were done: start-up (connecting, first lookups, preparing
// statements) is left out, for every arm alike.
func steadyRate(r probe.Result) float64 {
	if r.Mark == 0 || r.Last <= r.Mark {
		return rate(r.Count, time.Duration(r.Last-r.First))
	}
	return rate(r.Count-r.MarkCount, time.Duration(r.Last-r.Mark))
}

// rate is n tasks over d, per second.
func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// checkResult adds to s.Problems what is wrong with the worker's count of
// a phase.
func checkResult(s *sample, r probe.Result, want int) {
	if r.Count != want {
		s.Problems = append(s.Problems, fmt.Sprintf("%s: %d tasks ran, want %d", probe.PhaseNames[r.Phase], r.Count, want))
	}
	if r.Dups > 0 {
		s.Problems = append(s.Problems, fmt.Sprintf("%s: %d tasks ran twice", probe.PhaseNames[r.Phase], r.Dups))
	}
}

// runOne runs one workload of one arm and returns its figures.
func (d *driver) runOne(ctx context.Context, a *arm, workload string, run int) sample {
	s := sample{Arm: a.Name, Workload: workload, Run: run}
	if err := d.runOneErr(ctx, a, workload, &s); err != nil {
		s.Err = err.Error()
	}
	return s
}

func (d *driver) env() env {
	return env{PG: d.pgURL, Redis: d.rdURL, Pool: d.s.Pool, Concurrency: d.s.Concurrency}
}

func (d *driver) profilePath(a *arm, workload string, run int) string {
	if d.profDir == "" {
		return ""
	}
	return fmt.Sprintf("%s/%s-%s-%d.pprof", d.profDir, a.Name, workload, run)
}

func (d *driver) runOneErr(ctx context.Context, a *arm, workload string, s *sample) error {
	n := d.s.tasks(a, d.s.N)
	s.N = n
	tenants := 0
	switch workload {
	case "tenant":
		tenants = d.s.Tenants
	case "fanout":
		tenants = d.s.Fanout
		s.N = d.s.Fanout
	}
	if err := d.reset(ctx, tenants); err != nil {
		return err
	}
	e := d.env()
	q, err := a.Enqueuer(ctx, e)
	if err != nil {
		return fmt.Errorf("enqueuer: %w", err)
	}
	defer q.Close()

	if workload == "fanout" {
		start := time.Now()
		k, err := q.Fanout(ctx)
		if err != nil {
			return fmt.Errorf("fan-out: %w", err)
		}
		s.FanoutSecs = time.Since(start).Seconds()
		if k != d.s.Fanout {
			s.Problems = append(s.Problems, fmt.Sprintf("fan-out enqueued %d tasks, want %d", k, d.s.Fanout))
		}
		if s.Run > d.s.FanoutWork {
			queued, err := q.Queued(ctx)
			if err != nil {
				return fmt.Errorf("counting queued tasks: %w", err)
			}
			if queued != d.s.Fanout {
				s.Problems = append(s.Problems, fmt.Sprintf("fan-out: %d tasks queued, want %d", queued, d.s.Fanout))
			}
			return nil
		}
		w, err := d.startWorker(ctx, a, e, [probe.NumPhases]int{probe.Fanout: k}, d.profilePath(a, workload, s.Run))
		if err != nil {
			return err
		}
		r, err := w.wait(probe.Fanout, phaseTimeout(k))
		s.RSSKB = w.peakRSS()
		if serr := w.stop(); serr != nil && err == nil {
			err = fmt.Errorf("stopping the worker: %w", serr)
		}
		if err != nil {
			return err
		}
		s.Proc = steadyRate(r)
		checkResult(s, r, k)
		want := make([]int64, d.s.Fanout)
		for i := range want {
			want[i] = 1
		}
		bad, err := checkCounters(ctx, d.pool, want)
		if err != nil {
			return err
		}
		s.Problems = append(s.Problems, bad...)
		return nil
	}

	// Backlog: enqueue in batches with no worker running, then work it.
	backlog := jobs(probe.Backlog, n, tenants)
	el, err := d.enqueueBatches(ctx, q, backlog)
	if err != nil {
		return fmt.Errorf("batch enqueue: %w", err)
	}
	s.EnqBatch = rate(n, el)
	lat := 0
	if workload == "noop" {
		lat = d.s.Latency
	}
	w, err := d.startWorker(ctx, a, e, [probe.NumPhases]int{probe.Backlog: n, probe.Latency: lat, probe.Live: n}, d.profilePath(a, workload, s.Run))
	if err != nil {
		return err
	}
	defer func() {
		if w != nil {
			w.stop()
		}
	}()
	r, err := w.wait(probe.Backlog, phaseTimeout(n))
	if err != nil {
		return err
	}
	s.Proc = steadyRate(r)
	checkResult(s, r, n)

	// Latency: single enqueues at a steady, light pace on the now idle
	// worker.
	if lat > 0 {
		time.Sleep(100 * time.Millisecond)
		calls := make([]time.Duration, 0, lat)
		next := time.Now()
		for i := range lat {
			if dl := time.Until(next); dl > 0 {
				time.Sleep(dl)
			}
			next = next.Add(d.s.LatencyGap)
			t0 := time.Now()
			if err := q.One(ctx, job{Args: probe.Args{Phase: probe.Latency, Seq: i, T0: t0.UnixNano()}}); err != nil {
				return fmt.Errorf("single enqueue: %w", err)
			}
			calls = append(calls, time.Since(t0))
		}
		slices.Sort(calls)
		s.EnqSingleUS = float64(calls[len(calls)/2]) / float64(time.Microsecond)
		r, err := w.wait(probe.Latency, phaseTimeout(lat))
		if err != nil {
			return err
		}
		s.P50, s.P99 = r.P50, r.P99
		checkResult(s, r, lat)
	}

	// Live: enqueue in batches while the worker runs; end to end.
	time.Sleep(100 * time.Millisecond)
	live := jobs(probe.Live, n, tenants)
	start := time.Now()
	if _, err := d.enqueueBatches(ctx, q, live); err != nil {
		return fmt.Errorf("batch enqueue: %w", err)
	}
	r, err = w.wait(probe.Live, phaseTimeout(n))
	if err != nil {
		return err
	}
	s.E2E = rate(n, time.Unix(0, r.Last).Sub(start))
	checkResult(s, r, n)
	s.RSSKB = w.peakRSS()
	err = w.stop()
	w = nil
	if err != nil {
		return fmt.Errorf("stopping the worker: %w", err)
	}
	if tenants > 0 {
		want := make([]int64, tenants)
		for range 2 { // backlog and live
			for i := range n {
				want[i%tenants]++
			}
		}
		bad, err := checkCounters(ctx, d.pool, want)
		if err != nil {
			return err
		}
		s.Problems = append(s.Problems, bad...)
	}
	return nil
}

// countTrips runs the counting pass of one arm on one workload: every
// connection of the enqueuer and of the worker goes through a counting
// proxy.
func (d *driver) countTrips(ctx context.Context, a *arm, workload string) trips {
	t := trips{Arm: a.Name, Workload: workload}
	if err := d.countTripsErr(ctx, a, workload, &t); err != nil {
		t.Err = err.Error()
	}
	return t
}

func (d *driver) countTripsErr(ctx context.Context, a *arm, workload string, t *trips) error {
	n := d.s.tasks(a, d.s.CountN)
	t.N = n
	tenants := 0
	if workload == "tenant" {
		tenants = d.s.Tenants
	}
	if err := d.reset(ctx, tenants); err != nil {
		return err
	}
	pgTarget, rdTarget := hostPort(d.pgURL, "5432"), hostPort(d.rdURL, "6379")
	var ps [4]*proxy
	for i := range ps {
		target := pgTarget
		if i%2 == 1 {
			target = rdTarget
		}
		p, err := startProxy(target)
		if err != nil {
			return err
		}
		defer p.close()
		ps[i] = p
	}
	enqEnv := d.env()
	enqEnv.PG, enqEnv.Redis = viaProxy(d.pgURL, ps[0].addr()), viaProxy(d.rdURL, ps[1].addr())
	workEnv := d.env()
	workEnv.PG, workEnv.Redis = viaProxy(d.pgURL, ps[2].addr()), viaProxy(d.rdURL, ps[3].addr())

	q, err := a.Enqueuer(ctx, enqEnv)
	if err != nil {
		return fmt.Errorf("enqueuer: %w", err)
	}
	defer q.Close()
	per := func(p *proxy, since int64, n int) float64 { return float64(p.trips.Load()-since) / float64(n) }

	// Batch enqueue.
	pg0, rd0 := ps[0].trips.Load(), ps[1].trips.Load()
	if _, err := d.enqueueBatches(ctx, q, jobs(probe.Backlog, n, tenants)); err != nil {
		return err
	}
	t.BatchPG, t.BatchRD = per(ps[0], pg0, n), per(ps[1], rd0, n)
	// Single enqueue.
	const singles = 100
	pg0, rd0 = ps[0].trips.Load(), ps[1].trips.Load()
	for i := range singles {
		j := job{Args: probe.Args{Phase: probe.Latency, Seq: i, T0: nowNano()}}
		if tenants > 0 {
			j.Tenant = tenantID(i%tenants + 1)
		}
		if err := q.One(ctx, j); err != nil {
			return err
		}
	}
	t.SinglePG, t.SingleRD = per(ps[0], pg0, singles), per(ps[1], rd0, singles)
	// The worker works both from its start to the last task.
	w, err := d.startWorker(ctx, a, workEnv, [probe.NumPhases]int{probe.Backlog: n, probe.Latency: singles}, "")
	if err != nil {
		return err
	}
	defer w.stop()
	if _, err := w.wait(probe.Backlog, phaseTimeout(n)); err != nil {
		return err
	}
	if _, err := w.wait(probe.Latency, phaseTimeout(singles)); err != nil {
		return err
	}
	t.WorkerPG, t.WorkerRD = per(ps[2], 0, n+singles), per(ps[3], 0, n+singles)
	return nil
}
