// Package billing holds the tasks of the example application, a small
// invoicing service whose customers (tenants) each keep their data in a
// PostgreSQL schema of their own. Every function annotated with
// //tenant:task becomes a background task; go generate writes
// tenant_tasks.gen.go, with an Enqueue function per task and
// RegisterTasks.
//
// Every tenant task records itself in the tenant's activity table, with
// the tenant and the schema it saw, which is how the demo and the
// end-to-end test prove that each task ran in its own tenant's schema.
package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantgen/tenantgen/runtime"
)

// InvoiceArgs are the arguments of SendInvoice.
type InvoiceArgs struct {
	InvoiceID string `json:"invoice_id"`
	Email     string `json:"email"`
	Cents     int64  `json:"cents"`
}

// SendInvoice emails an invoice to the current tenant's customer. It reads
// the customer's open balance through the replica and records the sending
// on the primary.
//
//tenant:task cache=30s dbs=default,replica queue=billing retries=5 timeout=2m
func SendInvoice(ctx context.Context, args InvoiceArgs) error {
	if args.InvoiceID == "" {
		return runtime.Permanent(errors.New("send invoice: empty invoice ID"))
	}
	replica, err := runtime.DB(ctx, "replica")
	if err != nil {
		return err
	}
	var schema string
	var open int64
	err = replica.QueryRow(ctx, "select current_schema(), coalesce(sum(cents), 0) from invoices where email = $1 and id <> $2", args.Email, args.InvoiceID).Scan(&schema, &open)
	if err != nil {
		return fmt.Errorf("send invoice %q: read the balance: %w", args.InvoiceID, err)
	}
	if t, _ := runtime.TaskTenant(ctx); schema != t.Schema {
		return runtime.Permanent(fmt.Errorf("send invoice %q: the replica is on schema %q, not the tenant's %q", args.InvoiceID, schema, t.Schema))
	}
	// A real service would send the email here, mentioning the balance.
	db, err := runtime.DB(ctx, "default")
	if err != nil {
		return err
	}
	_, err = db.Exec(ctx, `insert into invoices (id, email, cents, sent_at) values ($1, $2, $3, now())
		on conflict (id) do update set email = excluded.email, cents = excluded.cents, sent_at = now()`,
		args.InvoiceID, args.Email, args.Cents)
	if err != nil {
		return fmt.Errorf("send invoice %q: %w", args.InvoiceID, err)
	}
	return record(ctx)
}

// ChargeCard charges a customer's card, once per customer and amount within
// an hour however often it is enqueued. An amount that is not positive is a
// bug of the caller: the task fails permanently, without retries. At most
// two charges run at once per tenant, across every worker, as a payment
// provider allows per merchant account; a tenant charging many cards waits
// for its own, not the others'.
//
//tenant:task unique=1h retries=3 queue=billing tenant_concurrency=2
func ChargeCard(ctx context.Context, customerID string, cents int64) error {
	if cents <= 0 {
		return runtime.Permanent(fmt.Errorf("charge card of customer %q: amount %d is not positive", customerID, cents))
	}
	db, err := runtime.DB(ctx, "default")
	if err != nil {
		return err
	}
	job, _ := runtime.JobFrom(ctx)
	_, err = db.Exec(ctx, "insert into charges (task_id, customer_id, cents) values ($1, $2, $3) on conflict (task_id) do nothing",
		string(job.ID), customerID, cents)
	if err != nil {
		return fmt.Errorf("charge card of customer %q: %w", customerID, err)
	}
	return record(ctx)
}

// RecordUsage records that a customer used quantity units of a metered
// feature at a given time. It takes plain parameters, encoded on the queue
// as a JSON array in this order, and uses the App's defaults for
// everything else.
//
//tenant:task
func RecordUsage(ctx context.Context, customerID, metric string, quantity int64, at time.Time) error {
	db, err := runtime.DB(ctx, "default")
	if err != nil {
		return err
	}
	job, _ := runtime.JobFrom(ctx)
	_, err = db.Exec(ctx, "insert into usage_events (task_id, customer_id, metric, quantity, at) values ($1, $2, $3, $4, $5) on conflict (task_id) do nothing",
		string(job.ID), customerID, metric, quantity, at)
	if err != nil {
		return fmt.Errorf("record usage of customer %q: %w", customerID, err)
	}
	return record(ctx)
}

// SyncLedger pushes the tenant's charges to the accounting ledger. The
// ledger of the example is flaky on purpose: the first attempt of every
// sync fails, and the retry succeeds. The name is pinned, so that the
// function can be renamed or moved without orphaning queued tasks.
//
//tenant:task name=billing.sync_ledger retries=3 timeout=10s
func SyncLedger(ctx context.Context) error {
	job, _ := runtime.JobFrom(ctx)
	if job.Attempt == 1 {
		return errors.New("sync ledger: the ledger is unavailable (simulated; the retry succeeds)")
	}
	db, err := runtime.DB(ctx, "default")
	if err != nil {
		return err
	}
	_, err = db.Exec(ctx, "insert into ledger_syncs (task_id, attempts) values ($1, $2) on conflict (task_id) do update set attempts = excluded.attempts",
		string(job.ID), job.Attempt)
	if err != nil {
		return fmt.Errorf("sync ledger: %w", err)
	}
	return record(ctx)
}

// Customer is a customer record of a tenant, as imported from a CRM.
type Customer struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`

	// CRMLatency simulates a slow call to the CRM before the customer is
	// saved, so that imports take time, as real ones do.
	CRMLatency time.Duration `json:"crm_latency,omitempty"`
}

// ImportCustomer imports one customer. Bulk imports enqueue one task per
// customer on their own queue, so that they never hold up invoices. The
// CRM allows each account 20 calls a second, so imports start at most 20 a
// second per tenant, across every worker; one tenant's bulk import never
// slows another's.
//
//tenant:task queue=imports retries=5 timeout=1m tenant_rate=20/s
func ImportCustomer(ctx context.Context, c Customer) error {
	if c.CRMLatency > 0 {
		t := time.NewTimer(c.CRMLatency)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	db, err := runtime.DB(ctx, "default")
	if err != nil {
		return err
	}
	_, err = db.Exec(ctx, `insert into customers (id, email, name) values ($1, $2, $3)
		on conflict (id) do update set email = excluded.email, name = excluded.name, imported_at = now()`,
		c.ID, c.Email, c.Name)
	if err != nil {
		return fmt.Errorf("import customer %q: %w", c.ID, err)
	}
	return record(ctx)
}

// RefreshRates refreshes the currency rates shared by all tenants. It is
// public: it runs without a tenant, with only the shared schema on its
// search_path. The worker's scheduler enqueues it every day at midnight
// UTC; the web server's admin endpoint enqueues it on demand.
//
//tenant:task public timeout=30s cron=@daily
func RefreshRates(ctx context.Context) error {
	db, err := runtime.DB(ctx, "default")
	if err != nil {
		return err
	}
	job, _ := runtime.JobFrom(ctx)
	b := &pgx.Batch{}
	for cur, rate := range map[string]string{"EUR": "0.92", "GBP": "0.79", "JPY": "151.3"} {
		b.Queue("insert into rates (currency, per_usd) values ($1, $2) on conflict (currency) do update set per_usd = excluded.per_usd, updated_at = now()", cur, rate)
	}
	b.Queue("insert into rate_refreshes (task_id) values ($1) on conflict (task_id) do nothing", string(job.ID))
	// One round trip; the search_path of the shared schema travels with it.
	if err := db.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("refresh rates: %w", err)
	}
	return nil
}

// DispatchDigests is the dispatcher of the monthly digests: a public task
// that enqueues SendDigest for every ready tenant, in batches of one round
// trip per thousand tenants. Schedule it once; each tenant gets its own
// task, retried and dead-lettered on its own.
//
//tenant:task public timeout=5m
func DispatchDigests(ctx context.Context, period string) error {
	app, ok := runtime.AppFrom(ctx)
	if !ok {
		return runtime.Permanent(errors.New("dispatch digests: not running on a worker"))
	}
	n, err := runtime.EnqueueEachTenant(ctx, app, func(ctx context.Context, e runtime.Enqueuer) error {
		_, err := EnqueueSendDigest(ctx, e, period)
		return err
	})
	if err != nil {
		return fmt.Errorf("dispatch digests of %s: %w", period, err)
	}
	slog.InfoContext(ctx, "digests dispatched", "period", period, "tasks", n)
	db, err := runtime.DB(ctx, "default") // the shared schema: a public task
	if err != nil {
		return err
	}
	job, _ := runtime.JobFrom(ctx)
	_, err = db.Exec(ctx, `insert into digest_dispatches (task_id, period, tasks) values ($1, $2, $3)
		on conflict (task_id) do update set tasks = excluded.tasks`, string(job.ID), period, n)
	return err
}

// SendDigest sends the tenant's monthly digest for period (such as
// "2026-01"): once per tenant and period, since the dispatcher may run
// again.
//
//tenant:task unique=24h
func SendDigest(ctx context.Context, period string) error {
	db, err := runtime.DB(ctx, "default")
	if err != nil {
		return err
	}
	job, _ := runtime.JobFrom(ctx)
	_, err = db.Exec(ctx, `insert into digests (period, invoices, task_id) values ($1, (select count(*) from invoices), $2)
		on conflict (period) do update set invoices = excluded.invoices, task_id = excluded.task_id`, period, string(job.ID))
	if err != nil {
		return fmt.Errorf("send digest of %s: %w", period, err)
	}
	return record(ctx)
}

// record notes in the tenant's activity table that the running task
// finished, with the tenant and the schema the statement ran in.
func record(ctx context.Context) error {
	job, ok := runtime.JobFrom(ctx)
	if !ok {
		return errors.New("billing: record called outside a task")
	}
	t, ok := runtime.TaskTenant(ctx)
	if !ok {
		return fmt.Errorf("billing: task %q has no tenant", job.Name)
	}
	db, err := runtime.DB(ctx, "default")
	if err != nil {
		return err
	}
	_, err = db.Exec(ctx, `insert into activity (task_id, task, tenant_id, schema_name, attempt) values ($1, $2, $3, current_schema(), $4)
		on conflict (task_id) do update set attempt = excluded.attempt, done_at = now()`,
		string(job.ID), job.Name, t.ID, job.Attempt)
	if err != nil {
		return fmt.Errorf("billing: record task %s: %w", job.ID, err)
	}
	return nil
}
