package runtime_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing/fstest"
	"time"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// invoiceArgs are the arguments of the example's SendInvoice task.
type invoiceArgs struct {
	Invoice int `json:"invoice"`
}

// ExampleApp_Tx writes an invoice and enqueues the task that sends it in
// one transaction, twice: the first transaction rolls back, so neither its
// invoice nor its task exists; the second commits, and the relay that Run
// starts (Config.Outbox) moves its task to Redis for the worker.
func ExampleApp_Tx() {
	ctx := context.Background()
	sent := make(chan string, 2)
	send := runtime.NewTask(runtime.TaskSpec{Name: "example.send_invoice"}, func(ctx context.Context, a invoiceArgs) error {
		t, _ := runtime.TaskTenant(ctx)
		sent <- fmt.Sprintf("invoice %d sent for %s", a.Invoice, t.ID)
		return nil
	})
	reg := runtime.NewRegistry()
	reg.Register(send)
	app, err := runtime.Open(ctx, runtime.Config{
		RedisURL:     exampleURL(testenv.RedisURLEnv, testenv.DefaultRedisURL),
		Databases:    map[string]string{"default": exampleURL(testenv.DatabaseURLEnv, testenv.DefaultDatabaseURL)},
		SharedSchema: "example_outbox", // usually public
		Prefix:       "example-outbox",
		Registry:     reg,
		Outbox:       runtime.OutboxConfig{DB: "default"}, // Run relays the outbox
		Logger:       slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer app.Close()
	pool, _ := app.Pool("default")
	const cleanup = "drop schema if exists example_outbox, example_outbox_acme cascade"
	pool.Exec(ctx, cleanup)
	defer pool.Exec(ctx, cleanup)

	// The tenants table, a tenant with an invoices table, and the outbox.
	if err := app.CreateTenantsTable(ctx); err != nil {
		fmt.Println(err)
		return
	}
	migrations := fstest.MapFS{"001_invoices.sql": {Data: []byte("create table invoices (id int primary key)")}}
	if err := app.CreateTenant(ctx, runtime.Tenant{ID: "acme", Schema: "example_outbox_acme"}, migrations); err != nil {
		fmt.Println(err)
		return
	}
	if err := app.CreateOutboxTable(ctx, ""); err != nil {
		fmt.Println(err)
		return
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- app.Run(runCtx) }()
	defer func() { stop(); <-done }()

	acme := runtime.WithTenant(ctx, "acme")
	for _, commit := range []bool{false, true} {
		tx, err := pool.Begin(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		if _, err := tx.Exec(ctx, "insert into example_outbox_acme.invoices (id) values (1)"); err != nil {
			fmt.Println(err)
		}
		// A generated EnqueueSendInvoice(ctx, app.Tx(tx), args) does this.
		if _, err := send.Enqueue(acme, app.Tx(tx), invoiceArgs{Invoice: 1}); err != nil {
			fmt.Println(err)
		}
		if commit {
			err = tx.Commit(ctx)
		} else {
			err = tx.Rollback(ctx)
		}
		if err != nil {
			fmt.Println(err)
		}
	}
	select {
	case s := <-sent:
		fmt.Println(s)
	case <-time.After(testenv.Timeout):
		fmt.Println("the task did not run")
	}
	var invoices int
	pool.QueryRow(ctx, "select count(*) from example_outbox_acme.invoices").Scan(&invoices)
	fmt.Println("invoices:", invoices)
	// Output:
	// invoice 1 sent for acme
	// invoices: 1
}
