package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/tenantgen/tenantgen/bench/internal/probe"
)

// riverSchema holds river's tables in the benchmark database.
const riverSchema = "river"

// River's tuned settings are those of its own benchmark command (river
// bench): 2,000 workers, a 2 ms fetch cooldown and a 20 ms poll interval.
const (
	riverTunedWorkers       = 2000
	riverTunedFetchCooldown = 2 * time.Millisecond
	riverTunedPollInterval  = 20 * time.Millisecond
)

var riverTunedArm = &arm{
	Name:     "river-tuned",
	Label:    "github.com/riverqueue/river v0.51.2 with riverpgxv5, tuned as river bench is: MaxWorkers 2000, FetchCooldown 2ms, FetchPollInterval 20ms; batches with InsertManyFast (COPY)",
	Fairness: "a queue per tenant (`InsertOpts.Queue`), each with MaxWorkers 16, not 2,000: the tasks sleep, so the workers, not river, would set the rate. River has no pool of workers shared across queues and no per-tenant limit in its open-source module, so the noisy tenant drains with 16 workers, as in the other arms, while each quiet tenant has 16 of its own (up to 96 at once, and in the no-skew pass all 96 are busy). FetchCooldown and FetchPollInterval as tuned; the queues are listed when the client starts",
	Enqueuer: riverEnqueuer,
	Worker: func(ctx context.Context, e env) error {
		return riverWorker(ctx, e, riverTunedWorkers, riverTunedFetchCooldown, riverTunedPollInterval)
	},
}

// riverDefaultArm runs river with its defaults: FetchCooldown 100ms and
// FetchPollInterval 1s, which cap it near MaxWorkers/FetchCooldown =
// 160 tasks/s, so it runs fewer tasks. Its enqueue path is river-tuned's,
// so it skips the fan-out.
var riverDefaultArm = &arm{
	Name:     "river-default",
	Label:    "github.com/riverqueue/river v0.51.2 with riverpgxv5, defaults: MaxWorkers 16 (the handler concurrency), FetchCooldown 100ms, FetchPollInterval 1s",
	Slow:     true,
	NoFanout: true,
	// At 160 tasks/s it would take a minute per 10,000 tasks, and its
	// handful of slow-arm tasks makes no backlog.
	NoFairness: true,
	NoTx:       true, // its enqueue path is river-tuned's
	Enqueuer:   riverEnqueuer,
	Worker: func(ctx context.Context, e env) error {
		return riverWorker(ctx, e, e.Concurrency, 0, 0)
	},
}

type riverNoopArgs struct{ probe.Args }

func (riverNoopArgs) Kind() string { return "noop" }

type riverTouchArgs struct {
	probe.Args
	Tenant string `json:"tenant"`
}

func (riverTouchArgs) Kind() string { return "touch" }

type riverWorkArgs struct {
	probe.Args
	Tenant string `json:"tenant"`
}

func (riverWorkArgs) Kind() string { return "work" }

// riverTenantQueue is the queue of tenant's tasks in the fairness
// workload.
func riverTenantQueue(tenant string) string { return "tenant_" + tenant }

// riverInsert returns the arguments and insert options of j: the fairness
// workload's tasks go to their tenant's queue.
func riverInsert(j job) (river.JobArgs, *river.InsertOpts) {
	switch {
	case j.Work:
		return riverWorkArgs{j.Args, j.Tenant}, &river.InsertOpts{Queue: riverTenantQueue(j.Tenant)}
	case j.Tenant == "":
		return riverNoopArgs{j.Args}, nil
	}
	return riverTouchArgs{j.Args, j.Tenant}, nil
}

// riverQueues is the client's Config.Queues for workload: the default
// queue with maxWorkers, or in the fairness workload one queue per tenant
// with the handler concurrency each.
func riverQueues(e env, maxWorkers int) map[string]river.QueueConfig {
	if e.Workload != "fairness" {
		return map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}}
	}
	qs := map[string]river.QueueConfig{}
	for i := 1; i <= e.Tenants; i++ {
		qs[riverTenantQueue(tenantID(i))] = river.QueueConfig{MaxWorkers: e.Concurrency}
	}
	return qs
}

// riverMigrate brings river's tables in riverSchema up to date.
func riverMigrate(ctx context.Context, pool *pgxpool.Pool) error {
	if _, err := pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+riverSchema); err != nil {
		return err
	}
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: riverSchema, Logger: warnLogger()})
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

type riverEnq struct {
	pool   *pgxpool.Pool
	client *river.Client[pgx.Tx]
}

func riverEnqueuer(ctx context.Context, e env) (enqueuer, error) {
	pool, err := workerPool(ctx, env{PG: e.PG, Pool: 4})
	if err != nil {
		return nil, err
	}
	// An insert-only client: no queues, no workers.
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Schema: riverSchema, Logger: warnLogger()})
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &riverEnq{pool: pool, client: client}, nil
}

func (q *riverEnq) One(ctx context.Context, j job) error {
	args, opts := riverInsert(j)
	_, err := q.client.Insert(ctx, args, opts)
	return err
}

func (q *riverEnq) Many(ctx context.Context, jobs []job) error {
	params := make([]river.InsertManyParams, len(jobs))
	for i, j := range jobs {
		args, opts := riverInsert(j)
		params[i] = river.InsertManyParams{Args: args, InsertOpts: opts}
	}
	_, err := q.client.InsertManyFast(ctx, params)
	return err
}

// TxOne inserts j with InsertTx, in a transaction of its own.
func (q *riverEnq) TxOne(ctx context.Context, j job) error {
	args, opts := riverInsert(j)
	return pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error {
		_, err := q.client.InsertTx(ctx, tx, args, opts)
		return err
	})
}

// TxMany inserts jobs with InsertManyFastTx (COPY), in one transaction.
func (q *riverEnq) TxMany(ctx context.Context, jobs []job) error {
	params := make([]river.InsertManyParams, len(jobs))
	for i, j := range jobs {
		args, opts := riverInsert(j)
		params[i] = river.InsertManyParams{Args: args, InsertOpts: opts}
	}
	return pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error {
		_, err := q.client.InsertManyFastTx(ctx, tx, params)
		return err
	})
}

func (q *riverEnq) Fanout(ctx context.Context) (int, error) {
	ids, err := listTenants(ctx, q.pool)
	if err != nil {
		return 0, err
	}
	now := nowNano()
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: riverTouchArgs{probe.Args{Phase: probe.Fanout, Seq: i, T0: now}, id}}
	}
	_, err = q.client.InsertManyFast(ctx, params)
	return len(ids), err
}

func (q *riverEnq) Queued(ctx context.Context) (int, error) {
	var n int
	err := q.pool.QueryRow(ctx, "SELECT count(*) FROM "+riverSchema+".river_job WHERE state = 'available'").Scan(&n)
	return n, err
}

func (q *riverEnq) Close() { q.pool.Close() }

func riverWorker(ctx context.Context, e env, maxWorkers int, cooldown, poll time.Duration) error {
	pool, err := workerPool(ctx, e)
	if err != nil {
		return err
	}
	defer pool.Close()
	schemas, err := tenantSchemas(ctx, pool)
	if err != nil {
		return err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[riverNoopArgs]) error {
		probe.Start(j.Args.Args)
		probe.Done(j.Args.Args)
		return nil
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[riverTouchArgs]) error {
		probe.Start(j.Args.Args)
		if err := touchByHand(ctx, pool, schemas, j.Args.Tenant); err != nil {
			return fmt.Errorf("touch tenant %s: %w", j.Args.Tenant, err)
		}
		probe.Done(j.Args.Args)
		return nil
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[riverWorkArgs]) error {
		probe.Start(j.Args.Args)
		time.Sleep(probe.WorkTime)
		probe.Done(j.Args.Args)
		return nil
	}))
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Schema:            riverSchema,
		Queues:            riverQueues(e, maxWorkers),
		Workers:           workers,
		FetchCooldown:     cooldown,
		FetchPollInterval: poll,
		Logger:            warnLogger(),
	})
	if err != nil {
		return err
	}
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return client.Stop(stopCtx)
}
