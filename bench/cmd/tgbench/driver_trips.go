package main

import (
	"context"
	"fmt"

	"github.com/tenantgen/tenantgen/bench/internal/probe"
)

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
