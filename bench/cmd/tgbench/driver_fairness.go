package main

// The fairness workload: issue 12's measurement. One noisy tenant has a
// backlog queued before the worker starts; while it drains, quiet tenants
// each add one task every FairGap, and the figure is how long their tasks
// wait to start. Then the same number of tasks, spread evenly over the same
// tenants, on a fresh worker: the throughput with no skew, which fair
// scheduling must not fall far below.

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tenantgen/tenantgen/bench/internal/probe"
)

// noisyTenant is the fairness workload's noisy tenant; the quiet ones
// follow it.
const noisyTenant = 1

// fairEnv is the workers' and enqueuers' env for the fairness workload.
func (d *driver) fairEnv() env {
	e := d.env()
	e.Workload = "fairness"
	e.Tenants = d.s.fairTenants()
	return e
}

// runFairness runs the skewed pass, then the even one, each from an empty
// queue with a fresh enqueuer and worker.
func (d *driver) runFairness(ctx context.Context, a *arm, s *sample) error {
	s.N = d.s.FairBacklog
	s.QuietN = d.s.quietRounds() * d.s.FairQuiet
	if err := d.fairSkewed(ctx, a, s); err != nil {
		return err
	}
	return d.fairEven(ctx, a, s)
}

// fairSkewed enqueues the noisy backlog, starts the worker and, once its
// first task has started, runs the quiet tenants until each has added its
// tasks.
func (d *driver) fairSkewed(ctx context.Context, a *arm, s *sample) error {
	if err := d.reset(ctx, 0); err != nil {
		return err
	}
	e := d.fairEnv()
	q, err := a.Enqueuer(ctx, e)
	if err != nil {
		return fmt.Errorf("enqueuer: %w", err)
	}
	defer q.Close()

	noisy := make([]job, s.N)
	for i := range noisy {
		noisy[i] = job{Args: probe.Args{Phase: probe.Noisy, Seq: i}, Tenant: tenantID(noisyTenant), Work: true}
	}
	el, err := d.enqueueBatches(ctx, q, noisy)
	if err != nil {
		return fmt.Errorf("batch enqueue: %w", err)
	}
	s.EnqBatch = rate(s.N, el)

	w, err := d.startWorker(ctx, a, e, [probe.NumPhases]int{probe.Noisy: s.N, probe.Quiet: s.QuietN}, d.profilePath(a, "fairness", s.Run))
	if err != nil {
		return err
	}
	defer func() {
		if w != nil {
			w.stop()
		}
	}()
	// The quiet tenants start with the drain, not with the worker's
	// process: start-up is not what they measure.
	if err := w.waitBegun(probe.Noisy, phaseTimeout(0)); err != nil {
		return err
	}
	sent, err := d.quietTenants(ctx, q)
	if err != nil {
		return fmt.Errorf("quiet tenants: %w", err)
	}
	rn, err := w.wait(probe.Noisy, phaseTimeout(s.N))
	if err != nil {
		return err
	}
	rq, err := w.wait(probe.Quiet, phaseTimeout(s.QuietN))
	if err != nil {
		return err
	}
	checkResult(s, rn, s.N)
	checkResult(s, rq, s.QuietN)
	s.QuietP50, s.QuietP95, s.QuietP99 = rq.P50, rq.P95, rq.P99
	s.Drain = rate(rn.Count, time.Duration(rn.Last-rn.First))
	s.Total = rate(rn.Count+rq.Count, time.Duration(max(rn.Last, rq.Last)-rn.First))
	for _, t := range sent {
		if t > rn.Last {
			s.QuietLate++
		}
	}
	s.RSSKB = w.peakRSS()
	err = w.stop()
	w = nil
	if err != nil {
		return fmt.Errorf("stopping the worker: %w", err)
	}
	return nil
}

// quietTenants has each quiet tenant enqueue one task every FairGap, with a
// single enqueue call, quietRounds times; the tenants are spread evenly
// over the gap. It returns when every task is enqueued, with the Unix ns
// of each enqueue.
func (d *driver) quietTenants(ctx context.Context, q enqueuer) ([]int64, error) {
	rounds, tenants, gap := d.s.quietRounds(), d.s.FairQuiet, d.s.FairGap
	sent := make([]int64, rounds*tenants)
	errs := make([]error, tenants)
	start := time.Now()
	var wg sync.WaitGroup
	for k := range tenants {
		wg.Go(func() {
			tenant := tenantID(noisyTenant + 1 + k)
			next := start.Add(gap * time.Duration(k) / time.Duration(tenants))
			for r := range rounds {
				if dl := time.Until(next); dl > 0 {
					time.Sleep(dl)
				}
				next = next.Add(gap)
				seq := r*tenants + k
				sent[seq] = nowNano()
				j := job{Args: probe.Args{Phase: probe.Quiet, Seq: seq, T0: sent[seq]}, Tenant: tenant, Work: true}
				if err := q.One(ctx, j); err != nil {
					errs[k] = fmt.Errorf("tenant %s: %w", tenant, err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return sent, nil
}

// fairEven enqueues as many tasks as the skewed pass ran, round-robin over
// the same tenants, and times a fresh worker working them.
func (d *driver) fairEven(ctx context.Context, a *arm, s *sample) error {
	if err := d.reset(ctx, 0); err != nil {
		return err
	}
	e := d.fairEnv()
	q, err := a.Enqueuer(ctx, e)
	if err != nil {
		return fmt.Errorf("enqueuer: %w", err)
	}
	defer q.Close()
	n, tenants := s.N+s.QuietN, d.s.fairTenants()
	even := make([]job, n)
	for i := range even {
		even[i] = job{Args: probe.Args{Phase: probe.Even, Seq: i}, Tenant: tenantID(noisyTenant + i%tenants), Work: true}
	}
	if _, err := d.enqueueBatches(ctx, q, even); err != nil {
		return fmt.Errorf("batch enqueue: %w", err)
	}
	w, err := d.startWorker(ctx, a, e, [probe.NumPhases]int{probe.Even: n}, d.profilePath(a, "fairness-even", s.Run))
	if err != nil {
		return err
	}
	r, err := w.wait(probe.Even, phaseTimeout(n))
	rss := w.peakRSS()
	if serr := w.stop(); serr != nil && err == nil {
		err = fmt.Errorf("stopping the worker: %w", serr)
	}
	if err != nil {
		return err
	}
	checkResult(s, r, n)
	s.Even = rate(r.Count, time.Duration(r.Last-r.First))
	s.RSSKB = max(s.RSSKB, rss)
	return nil
}
