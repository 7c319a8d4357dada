package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantgen/tenantgen/bench/internal/probe"
)

// env is what every arm needs to reach the servers, with the settings that
// must be the same for all of them.
type env struct {
	PG          string // URL of the benchmark database
	Redis       string // URL of the benchmark's Redis database
	Pool        int    // size of the worker's pgx pool
	Concurrency int    // handlers running at once in the worker
	CPUProfile  string // worker: write a CPU profile here
	// Workload is the workload the worker serves: the arms that give the
	// fairness workload a queue per tenant configure their queues by it.
	Workload string
	// Tenants is how many tenants (1 to Tenants) the fairness workload
	// enqueues for, so that those arms know which queues to serve.
	Tenants int
}

// job is one task to enqueue. Tenant is empty for the noop workload.
type job struct {
	probe.Args
	Tenant string
	// Work makes it the fairness workload's task, which works (sleeps)
	// probe.WorkTime for Tenant, instead of the tenant workload's update.
	Work bool
}

// enqueuer is the producer side of an arm.
type enqueuer interface {
	// One enqueues a single task with one call.
	One(ctx context.Context, j job) error
	// Many enqueues a batch, with the system's batch API where it has one.
	Many(ctx context.Context, jobs []job) error
	// Fanout enqueues one Touch task per tenant of the tenants table, in
	// phase probe.Fanout, and returns how many it enqueued.
	Fanout(ctx context.Context) (int, error)
	// Queued counts the tasks waiting in the queue.
	Queued(ctx context.Context) (int, error)
	Close()
}

// txEnqueuer is the producer side of an arm that can enqueue inside the
// caller's database transaction (the txenqueue workload): each call begins
// a transaction on the enqueuer's pool, enqueues and commits.
type txEnqueuer interface {
	// TxOne enqueues a single task in a transaction of its own.
	TxOne(ctx context.Context, j job) error
	// TxMany enqueues a batch in one transaction, with the system's batch
	// API.
	TxMany(ctx context.Context, jobs []job) error
}

// txAdapter makes a txEnqueuer's calls those of an enqueuer, so that the
// txenqueue workload runs the noop workload's phases through transactions.
type txAdapter struct {
	enqueuer
	tx txEnqueuer
}

func (a txAdapter) One(ctx context.Context, j job) error       { return a.tx.TxOne(ctx, j) }
func (a txAdapter) Many(ctx context.Context, jobs []job) error { return a.tx.TxMany(ctx, jobs) }

// arm is one system under test, in one configuration.
type arm struct {
	Name  string // short name, used on the command line and in tables
	Label string // what the name means, for the report
	// Slow arms are slow by design: they run settings.SlowN tasks per
	// phase at most.
	Slow bool
	// NoNoop skips the noop workload (the arm differs from another only
	// where tenants' tasks run).
	NoNoop bool
	// NoFanout skips the fanout workload.
	NoFanout bool
	// NoTenant skips the tenant workload (set while an arm cannot run it).
	NoTenant bool
	// NoFairness skips the fairness workload.
	NoFairness bool
	// NoTx skips the txenqueue workload: the system cannot enqueue inside
	// a database transaction, or its enqueue path is another arm's.
	NoTx bool
	// Fairness says, for the report, what the arm does to share its
	// handlers fairly between tenants in the fairness workload.
	Fairness string
	Enqueuer func(ctx context.Context, e env) (enqueuer, error)
	// Worker runs the arm's worker until ctx is cancelled, then shuts it
	// down gracefully.
	Worker func(ctx context.Context, e env) error
}

var arms = []*arm{tenantgenArm, asynqArm, riverTunedArm, riverDefaultArm, tenantgenCappedArm}

func armByName(name string) (*arm, error) {
	for _, a := range arms {
		if a.Name == name {
			return a, nil
		}
	}
	return nil, fmt.Errorf("unknown arm %q", name)
}

// workerPool opens the worker's pgx pool: e.Pool connections at most.
func workerPool(ctx context.Context, e env) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(e.PG)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = int32(e.Pool)
	return pgxpool.NewWithConfig(ctx, cfg)
}

// tenantSchemas loads the tenant → schema map of the tenants table, as an
// application using asynq or river would keep it in memory.
func tenantSchemas(ctx context.Context, pool *pgxpool.Pool) (map[string]string, error) {
	rows, err := pool.Query(ctx, sqlListTenantSchemas)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	var id, schema string
	_, err = pgx.ForEachRow(rows, []any{&id, &schema}, func() error {
		m[id] = schema
		return nil
	})
	return m, err
}

// listTenants returns the IDs of every tenant, for a fan-out.
func listTenants(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) ([]string, error) {
	rows, err := q.Query(ctx, sqlListTenantIDs)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// touchByHand is the tenant task's body as an asynq or river user writes
// it: take a pooled connection, make the tenant's schema current with SET
// search_path (one round trip), then update the row (a second one). The
// connection goes back to the pool with the tenant's search_path; every
// task sets its own before touching a table.
func touchByHand(ctx context.Context, pool *pgxpool.Pool, schemas map[string]string, tenant string) error {
	schema, ok := schemas[tenant]
	if !ok {
		return fmt.Errorf("unknown tenant %q", tenant)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET search_path TO "+pgx.Identifier{schema}.Sanitize()+", public"); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, sqlTouch, 1)
	return err
}

// sqlTouch is the tenant workload's update, run in the tenant's schema
// with the row's ID as its argument (the tenantgen task runs the same).
const sqlTouch = "UPDATE items SET n = n + 1 WHERE id = $1"

// warnLogger logs warnings and errors of the systems under test to stderr.
func warnLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
