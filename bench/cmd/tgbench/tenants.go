package main

// The tenants table, as the asynq and river arms read it and as setup
// fills it. PROVISIONAL until the runtime ships its tenants table: then the
// tenantgen runtime creates it and these statements follow its layout.

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// tenantsLayout names the layout of the tenants table that setup made; a
// different one makes setup drop every tenant and start again.
const tenantsLayout = "provisional-1"

const (
	sqlListTenantSchemas = "SELECT id, schema FROM public.tenants"
	sqlListTenantIDs     = "SELECT id FROM public.tenants"
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
	// Start again: drop the tenant schemas of any earlier layout.
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
CREATE TABLE public.tenants (id text PRIMARY KEY, schema text NOT NULL UNIQUE);
DELETE FROM bench_meta;
INSERT INTO bench_meta VALUES ('`+tenantsLayout+`', 0)`); err != nil {
		return 0, err
	}
	return 0, nil
}

// createTenants creates tenants from to to (inclusive), a chunk per
// transaction.
func createTenants(ctx context.Context, pool *pgxpool.Pool, from, to int) error {
	const chunk = 250
	for lo := from; lo <= to; lo += chunk {
		hi := min(lo+chunk-1, to)
		var b strings.Builder
		b.WriteString("BEGIN;\n")
		for i := lo; i <= hi; i++ {
			s := tenantSchema(i)
			fmt.Fprintf(&b, "CREATE SCHEMA %s;\nSET LOCAL search_path TO %s;\n%s", s, s, tenantSQL)
			fmt.Fprintf(&b, "INSERT INTO public.tenants (id, schema) VALUES ('%s', '%s');\n", tenantID(i), s)
		}
		fmt.Fprintf(&b, "UPDATE public.bench_meta SET tenants = %d;\nCOMMIT;\n", hi)
		if _, err := pool.Exec(ctx, b.String()); err != nil {
			return err
		}
	}
	return nil
}
