package main

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantgen/tenantgen/bench/tasks"
	"github.com/tenantgen/tenantgen/runtime"
)

// tenantgenPrefix starts the benchmark's Redis keys.
const tenantgenPrefix = "tgbench"

var tenantgenArm = &arm{
	Name:     "tenantgen",
	Label:    "this repository, through the stubs generated in bench/tasks: Concurrency 16; batches with App.EnqueueMany",
	Fairness: "nothing of its own: every task goes to the default queue with its tenant (`runtime.WithTenant`), as in the other workloads, and the runtime decides the order",
	Enqueuer: tenantgenEnqueuer,
	Worker:   func(ctx context.Context, e env) error { return tenantgenWorker(ctx, e, nil) },
}

// tenantgenCappedArm is tenantgenArm with a concurrency cap per tenant in
// the default queue, as high as the worker's handlers so that it never
// holds a tenant back: it measures the price of counting, for issue 12's
// "a per-tenant cap must cost under 10% of throughput", on the tenant
// workload's real tasks. The noop workload's tasks are public, which a
// tenant's limits do not cover, and the other workloads would repeat
// tenantgen's, so it runs the tenant workload alone.
var tenantgenCappedArm = &arm{
	Name:       "tenantgen-capped",
	Label:      "tenantgen with a concurrency cap per tenant (`Config.TenantLimits`) as high as its handlers, which they never reach: the price of counting every task across processes",
	NoNoop:     true,
	NoFanout:   true,
	NoFairness: true,
	NoTx:       true,
	Enqueuer:   tenantgenEnqueuer,
	Worker: func(ctx context.Context, e env) error {
		return tenantgenWorker(ctx, e, map[string]runtime.Limits{"default": {Concurrency: e.Concurrency}})
	},
}

type tgEnq struct {
	app *runtime.App
}

func tenantgenEnqueuer(ctx context.Context, e env) (enqueuer, error) {
	// The enqueuing App needs the database only to list the tenants of a
	// fan-out.
	cfg := runtime.Config{RedisURL: e.Redis, Prefix: tenantgenPrefix, Logger: warnLogger()}
	tgConfigureDB(&cfg, env{PG: e.PG, Pool: 4})
	app, err := runtime.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if e.Workload == "txenqueue" {
		if err := app.CreateOutboxTable(ctx, "default"); err != nil {
			app.Close()
			return nil, err
		}
	}
	return &tgEnq{app: app}, nil
}

func (q *tgEnq) One(ctx context.Context, j job) error {
	switch {
	case j.Work:
		_, err := tasks.EnqueueWork(runtime.WithTenant(ctx, j.Tenant), q.app, j.Args)
		return err
	case j.Tenant == "":
		_, err := tasks.EnqueueNoop(ctx, q.app, j.Args)
		return err
	}
	return tgTouchOne(runtime.WithTenant(ctx, j.Tenant), q.app, j.Args)
}

func (q *tgEnq) Many(ctx context.Context, jobs []job) error {
	reqs, err := tgRequests(ctx, jobs)
	if err != nil {
		return err
	}
	_, err = q.app.EnqueueMany(ctx, reqs)
	return err
}

// tgRequests returns the requests of jobs, built by the generated stubs.
func tgRequests(ctx context.Context, jobs []job) ([]runtime.Request, error) {
	reqs := make([]runtime.Request, len(jobs))
	for i, j := range jobs {
		var err error
		switch {
		case j.Work:
			reqs[i], err = tasks.WorkRequest(runtime.WithTenant(ctx, j.Tenant), j.Args)
		case j.Tenant == "":
			reqs[i], err = tasks.NoopRequest(ctx, j.Args)
		default:
			reqs[i], err = tgTouchRequest(runtime.WithTenant(ctx, j.Tenant), j.Args)
		}
		if err != nil {
			return nil, err
		}
	}
	return reqs, nil
}

// TxOne enqueues j through App.Tx, in a transaction of its own: the
// outbox row is written in it, and the worker's relay queues the task
// once it commits.
func (q *tgEnq) TxOne(ctx context.Context, j job) error {
	if j.Tenant != "" || j.Work {
		return q.TxMany(ctx, []job{j})
	}
	return pgx.BeginFunc(ctx, q.pool(), func(tx pgx.Tx) error {
		_, err := tasks.EnqueueNoop(ctx, q.app.Tx(tx), j.Args) // the generated stub, unchanged
		return err
	})
}

// TxMany enqueues jobs through App.Tx with EnqueueMany, in one
// transaction: one insert statement.
func (q *tgEnq) TxMany(ctx context.Context, jobs []job) error {
	reqs, err := tgRequests(ctx, jobs)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, q.pool(), func(tx pgx.Tx) error {
		_, err := q.app.Tx(tx).EnqueueMany(ctx, reqs)
		return err
	})
}

// pool is the enqueuing App's pool of the benchmark database.
func (q *tgEnq) pool() *pgxpool.Pool {
	p, _ := q.app.Pool("default")
	return p
}

func (q *tgEnq) Fanout(ctx context.Context) (int, error) { return tgFanout(ctx, q.app) }

func (q *tgEnq) Queued(ctx context.Context) (int, error) {
	st, err := q.app.Stats(ctx, "default")
	return int(st.Ready), err
}

func (q *tgEnq) Close() { q.app.Close() }

// tenantgenWorker runs the tenantgen worker, with limits as its
// Config.TenantLimits.
func tenantgenWorker(ctx context.Context, e env, limits map[string]runtime.Limits) error {
	reg := runtime.NewRegistry()
	if err := tasks.RegisterTasks(reg); err != nil {
		return err
	}
	cfg := runtime.Config{
		RedisURL:     e.Redis,
		Prefix:       tenantgenPrefix,
		Registry:     reg,
		Concurrency:  e.Concurrency,
		TenantLimits: limits,
		Logger:       warnLogger(),
	}
	tgConfigureDB(&cfg, e)
	if e.Workload == "txenqueue" {
		// The worker relays the outbox, as an App with Config.Outbox does.
		cfg.Outbox = runtime.OutboxConfig{DB: "default"}
	}
	app, err := runtime.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer app.Close()
	return app.Run(ctx)
}
