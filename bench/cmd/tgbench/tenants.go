package main

// The tenants: created once with the tenantgen runtime's provisioning
// (App.CreateTenantsTable, then App.CreateTenant with the migrations in
// migrations/), as an application creates them. The asynq and river arms
// read the same table, public.tenants, as their users would read their own.

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantgen/tenantgen/runtime"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// tenantsLayout names the layout of the tenants that setup made; another
// one makes setup drop every tenant and start again.
const tenantsLayout = "tenantgen-tenants-1"

const (
	sqlListTenantSchemas = "SELECT id, schema_name FROM public.tenants WHERE ready"
	sqlListTenantIDs     = "SELECT id FROM public.tenants WHERE ready ORDER BY id"
)

// countTenants returns how many tenants setup created, after dropping them
// all if they were made with another layout.
func countTenants(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	if _, err := pool.Exec(ctx, "CREATE TABLE IF NOT EXISTS bench_meta (layout text NOT NULL, tenants int NOT NULL)"); err != nil {
		return 0, err
	}
	var layout string
	var n int
	err := pool.QueryRow(ctx, "SELECT layout, tenants FROM bench_meta").Scan(&layout, &n)
	if err == nil && layout == tenantsLayout {
		return n, nil
	}
	// Start again: drop the tenant schemas and table of any earlier layout.
	if _, err := pool.Exec(ctx, `DO $$ DECLARE s text;
BEGIN
	FOR s IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\_%' LOOP
		EXECUTE format('DROP SCHEMA %I CASCADE', s);
		COMMIT;
	END LOOP;
END $$`); err != nil {
		return 0, fmt.Errorf("dropping old tenant schemas: %w", err)
	}
	if _, err := pool.Exec(ctx, `DROP TABLE IF EXISTS public.tenants;
DELETE FROM bench_meta;
INSERT INTO bench_meta VALUES ('`+tenantsLayout+`', 0)`); err != nil {
		return 0, err
	}
	return 0, nil
}

// createTenants creates tenants from to to (inclusive) with the runtime's
// CreateTenant, several at a time.
func createTenants(ctx context.Context, pool *pgxpool.Pool, benchURL, redisURL string, from, to int) error {
	cfg := runtime.Config{RedisURL: redisURL, Prefix: tenantgenPrefix, Logger: warnLogger()}
	tgConfigureDB(&cfg, env{PG: benchURL, Pool: 8})
	app, err := runtime.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer app.Close()
	if err := app.CreateTenantsTable(ctx); err != nil {
		return err
	}
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	const workers = 8
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := app.CreateTenant(ctx, runtime.Tenant{ID: tenantID(i), Schema: tenantSchema(i)}, migrations); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var sendErr error
	for i := from; i <= to && sendErr == nil; i++ {
		select {
		case next <- i:
		case sendErr = <-errs:
		}
		if i%1000 == 0 || i == to {
			if _, err := pool.Exec(ctx, "UPDATE bench_meta SET tenants = $1", i-workers); err != nil && sendErr == nil {
				sendErr = err
			}
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	if sendErr != nil {
		return sendErr
	}
	if err := <-errs; err != nil {
		return err
	}
	_, err = pool.Exec(ctx, "UPDATE bench_meta SET tenants = $1", to)
	return err
}
