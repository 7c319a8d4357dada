package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/tenantgen/tenantgen/bench/internal/probe"
)

// asynq v0.26 has no batch enqueue (BatchEnqueue is unreleased), so a batch
// is enqueued the way a user would: asynqBatchGoroutines goroutines, one
// Enqueue call each task.
const asynqBatchGoroutines = 16

var asynqArm = &arm{
	Name:  "asynq",
	NoTx:  true, // its queue is Redis alone: no transactional enqueue
	Label: "github.com/hibiken/asynq v0.26.0: Concurrency 16, default settings otherwise; batches are 16 goroutines calling Enqueue (no batch API)",
	Enqueuer: func(ctx context.Context, e env) (enqueuer, error) {
		opt, err := asynq.ParseRedisURI(e.Redis)
		if err != nil {
			return nil, err
		}
		pool, err := workerPool(ctx, env{PG: e.PG, Pool: 4})
		if err != nil {
			return nil, err
		}
		return &asynqEnqueuer{c: asynq.NewClient(opt), in: asynq.NewInspector(opt), pool: pool}, nil
	},
	Fairness: "a queue per tenant (`asynq.Queue`), each of weight 1 in `Config.Queues`: the server's 16 handlers are shared, and each one that frees up tries the queues in a weighted random order, one dequeue script per queue until one has a task. The queues must be listed when the server starts",
	Worker:   asynqWorker,
}

// asynqTenantQueue is the queue of tenant's tasks in the fairness
// workload.
func asynqTenantQueue(tenant string) string { return "tenant:" + tenant }

// asynqQueues is the server's Config.Queues for workload: the default
// queue, or in the fairness workload one queue per tenant, all of weight
// 1, so that asynq's weighted priority picks them evenly.
func asynqQueues(e env) map[string]int {
	if e.Workload != "fairness" {
		return map[string]int{"default": 1}
	}
	qs := map[string]int{}
	for i := 1; i <= e.Tenants; i++ {
		qs[asynqTenantQueue(tenantID(i))] = 1
	}
	return qs
}

// asynqArgs is the payload of both task types.
type asynqArgs struct {
	probe.Args
	Tenant string `json:"tenant,omitempty"`
}

type asynqEnqueuer struct {
	c    *asynq.Client
	in   *asynq.Inspector
	pool *pgxpool.Pool // lists the tenants for a fan-out
}

func asynqTask(j job) (*asynq.Task, error) {
	payload, err := json.Marshal(asynqArgs{Args: j.Args, Tenant: j.Tenant})
	if err != nil {
		return nil, err
	}
	switch {
	case j.Work:
		return asynq.NewTask("work", payload, asynq.Queue(asynqTenantQueue(j.Tenant))), nil
	case j.Tenant != "":
		return asynq.NewTask("touch", payload), nil
	}
	return asynq.NewTask("noop", payload), nil
}

func (q *asynqEnqueuer) One(ctx context.Context, j job) error {
	t, err := asynqTask(j)
	if err != nil {
		return err
	}
	_, err = q.c.EnqueueContext(ctx, t)
	return err
}

func (q *asynqEnqueuer) Many(ctx context.Context, jobs []job) error {
	g, ctx := errgroup.WithContext(ctx)
	next := make(chan job)
	for range asynqBatchGoroutines {
		g.Go(func() error {
			for j := range next {
				if err := q.One(ctx, j); err != nil {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(next)
		for _, j := range jobs {
			select {
			case next <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	return g.Wait()
}

func (q *asynqEnqueuer) Fanout(ctx context.Context) (int, error) {
	ids, err := listTenants(ctx, q.pool)
	if err != nil {
		return 0, err
	}
	jobs := make([]job, len(ids))
	now := nowNano()
	for i, id := range ids {
		jobs[i] = job{Args: probe.Args{Phase: probe.Fanout, Seq: i, T0: now}, Tenant: id}
	}
	return len(jobs), q.Many(ctx, jobs)
}

func (q *asynqEnqueuer) Queued(ctx context.Context) (int, error) {
	info, err := q.in.GetQueueInfo("default")
	if err != nil {
		return 0, err
	}
	return info.Pending, nil
}

func (q *asynqEnqueuer) Close() {
	q.in.Close()
	q.c.Close()
	q.pool.Close()
}

func asynqWorker(ctx context.Context, e env) error {
	opt, err := asynq.ParseRedisURI(e.Redis)
	if err != nil {
		return err
	}
	pool, err := workerPool(ctx, e)
	if err != nil {
		return err
	}
	defer pool.Close()
	schemas, err := tenantSchemas(ctx, pool)
	if err != nil {
		return err
	}
	decode := func(t *asynq.Task) (asynqArgs, error) {
		var a asynqArgs
		err := json.Unmarshal(t.Payload(), &a)
		return a, err
	}
	mux := asynq.NewServeMux()
	mux.HandleFunc("noop", func(ctx context.Context, t *asynq.Task) error {
		a, err := decode(t)
		if err != nil {
			return err
		}
		probe.Start(a.Args)
		probe.Done(a.Args)
		return nil
	})
	mux.HandleFunc("touch", func(ctx context.Context, t *asynq.Task) error {
		a, err := decode(t)
		if err != nil {
			return err
		}
		probe.Start(a.Args)
		if err := touchByHand(ctx, pool, schemas, a.Tenant); err != nil {
			return fmt.Errorf("touch tenant %s: %w", a.Tenant, err)
		}
		probe.Done(a.Args)
		return nil
	})
	mux.HandleFunc("work", func(ctx context.Context, t *asynq.Task) error {
		a, err := decode(t)
		if err != nil {
			return err
		}
		probe.Start(a.Args)
		time.Sleep(probe.WorkTime)
		probe.Done(a.Args)
		return nil
	})
	srv := asynq.NewServer(opt, asynq.Config{
		Concurrency: e.Concurrency,
		Queues:      asynqQueues(e),
		LogLevel:    asynq.WarnLevel,
	})
	if err := srv.Start(mux); err != nil {
		return err
	}
	<-ctx.Done()
	srv.Shutdown()
	return nil
}
