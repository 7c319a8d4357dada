package runtime_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing/fstest"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// exampleURL returns the URL of a test server, as the README's test
// command exports it.
func exampleURL(env, def string) string {
	if v := os.Getenv(env); v != "" {
		return v
	}
	return def
}

// Example_tenancy provisions two tenants, each in a schema of its own, and
// runs a task for each: the task's database handle is on its tenant's
// schema.
func Example_tenancy() {
	ctx := context.Background()
	app, err := runtime.Open(ctx, runtime.Config{
		RedisURL:     exampleURL(testenv.RedisURLEnv, testenv.DefaultRedisURL),
		Databases:    map[string]string{"default": exampleURL(testenv.DatabaseURLEnv, testenv.DefaultDatabaseURL)},
		SharedSchema: "example_shared", // usually public
		Prefix:       "example",
		Logger:       slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer app.Close()
	pool, _ := app.Pool("default")
	const cleanup = "drop schema if exists example_shared, example_acme, example_globex cascade"
	pool.Exec(ctx, cleanup)
	defer pool.Exec(ctx, cleanup)
	pool.Exec(ctx, "create schema example_shared")

	// The tenants table, then two tenants with their migrations.
	if err := app.CreateTenantsTable(ctx); err != nil {
		fmt.Println(err)
		return
	}
	migrations := fstest.MapFS{"001_greetings.sql": {Data: []byte(
		"create table greetings (text text not null)")}}
	for _, t := range []runtime.Tenant{{ID: "acme", Schema: "example_acme"}, {ID: "globex", Schema: "example_globex"}} {
		if err := app.CreateTenant(ctx, t, migrations); err != nil {
			fmt.Println(err)
			return
		}
	}

	// What a //tenant:task function does with its database.
	greet := func(ctx context.Context) error {
		t, _ := runtime.TaskTenant(ctx)
		db, err := runtime.DB(ctx, "default")
		if err != nil {
			return err
		}
		_, err = db.Exec(ctx, "insert into greetings (text) values ($1)", "hello "+t.ID)
		return err
	}

	// Run it as a worker would, for each tenant.
	handler := app.Tenancy(runtime.HandlerFunc(func(ctx context.Context, _ *runtime.Job) error { return greet(ctx) }))
	for _, id := range []string{"acme", "globex"} {
		if err := handler.Handle(ctx, &runtime.Job{Name: "example.greet", Tenant: id}); err != nil {
			fmt.Println(err)
		}
	}

	for _, schema := range []string{"example_acme", "example_globex"} {
		var text string
		pool.QueryRow(ctx, "select text from "+schema+".greetings").Scan(&text)
		fmt.Printf("%s: %s\n", schema, text)
	}

	// A task for a tenant that does not exist never runs.
	err = handler.Handle(ctx, &runtime.Job{Name: "example.greet", Tenant: "initech"})
	fmt.Println(err)
	// Output:
	// example_acme: hello acme
	// example_globex: hello globex
	// permanent: tenant "initech" refused: unknown tenant (deleted, or never created)
}
