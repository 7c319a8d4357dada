package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantgen/tenantgen/bench/internal/probe"
)

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

	// The fairness workload (N is the noisy backlog). Latencies are from
	// just before a quiet tenant's enqueue call to the start of its task.
	QuietN    int     `json:"quiet_n,omitempty"` // quiet tenants' tasks
	QuietP50  float64 `json:"quiet_p50_ms,omitempty"`
	QuietP95  float64 `json:"quiet_p95_ms,omitempty"`
	QuietP99  float64 `json:"quiet_p99_ms,omitempty"`
	Drain     float64 `json:"drain,omitempty"`      // tasks/s: the noisy backlog, first start to last end
	Total     float64 `json:"total,omitempty"`      // tasks/s: noisy and quiet tasks together, same span
	Even      float64 `json:"even,omitempty"`       // tasks/s: as many tasks spread evenly, no skew
	QuietLate int     `json:"quiet_late,omitempty"` // quiet tasks enqueued after the backlog drained

	Problems []string `json:"problems,omitempty"` // lost, duplicated or miscounted tasks
	Err      string   `json:"error,omitempty"`
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

// reset empties the queues of every arm and zeroes the tenant counters.
func (d *driver) reset(ctx context.Context, tenants int) error {
	if err := resetRedis(ctx, d.rdURL); err != nil {
		return fmt.Errorf("reset redis: %w", err)
	}
	if err := resetRiver(ctx, d.pool); err != nil {
		return fmt.Errorf("reset river: %w", err)
	}
	if err := resetOutbox(ctx, d.pool); err != nil {
		return fmt.Errorf("reset the outbox: %w", err)
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
	if workload == "fairness" {
		return d.runFairness(ctx, a, s)
	}
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
	e.Workload = workload
	q, err := a.Enqueuer(ctx, e)
	if err != nil {
		return fmt.Errorf("enqueuer: %w", err)
	}
	defer q.Close()
	if workload == "txenqueue" {
		// The noop workload's phases, each enqueue in a transaction.
		tq, ok := q.(txEnqueuer)
		if !ok {
			return fmt.Errorf("arm %s cannot enqueue in a transaction", a.Name)
		}
		q = txAdapter{q, tq}
	}

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
	if workload == "noop" || workload == "txenqueue" {
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
