package runtime_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// freshSchema returns a schema name that no other test uses and that does
// not exist yet; it is dropped when the test ends.
func freshSchema(t testing.TB) string {
	t.Helper()
	pg := testenv.Postgres(t)
	name := "tg_" + strings.ToLower(rand.Text()[:10]) + "_fresh"
	t.Cleanup(func() { pg.Exec(context.Background(), fmt.Sprintf("drop schema if exists %q cascade", name)) })
	return name
}

// TestSetupCreatesTheSharedSchema: the first steps of a new App, on a
// shared schema that does not exist yet, create it rather than fail with
// PostgreSQL's "no schema has been selected to create in".
func TestSetupCreatesTheSharedSchema(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(ctx context.Context, app *runtime.App) error
	}{
		{"CreateTenantsTable", func(ctx context.Context, app *runtime.App) error { return app.CreateTenantsTable(ctx) }},
		{"CreatePeriodicTasksTable", func(ctx context.Context, app *runtime.App) error { return app.CreatePeriodicTasksTable(ctx, "") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			shared := freshSchema(t)
			b := setupQueue(t, func(c *runtime.Config) {
				c.Databases = map[string]string{"default": testenv.DatabaseURL(t)}
				c.SharedSchema = shared
			})
			if err := tc.setup(t.Context(), b.app); err != nil {
				t.Fatalf("%s on a shared schema that does not exist: %v", tc.name, err)
			}
			var n int
			if err := testenv.Postgres(t).QueryRow(t.Context(), "select count(*) from pg_tables where schemaname = $1", shared).Scan(&n); err != nil || n != 1 {
				t.Errorf("tables in the shared schema %q: %d (%v), want 1", shared, n, err)
			}
		})
	}
}

func TestCreatePeriodicTasksTableNamesAMissingTenantSchema(t *testing.T) {
	t.Parallel()
	tb := setupTenancy(t, nil, nil)
	missing := freshSchema(t)
	err := tb.app.CreatePeriodicTasksTable(t.Context(), missing)
	wantError(t, err, fmt.Sprintf("in schema %q: the schema does not exist", missing), "App.CreateTenant")
}

// TestMigrationsOutsideTheRootAreRefused: migrations whose root holds a
// folder of .sql files, as //go:embed migrations gives, are refused before
// anything changes, saying to pass fs.Sub, rather than provisioning a
// tenant without tables.
func TestMigrationsOutsideTheRootAreRefused(t *testing.T) {
	t.Parallel()
	tb := setupTenancy(t, []string{"acme"}, nil)
	ctx := t.Context()
	embedded := fstest.MapFS{}
	for name, f := range tenantMigrations {
		embedded["migrations/"+name] = f
	}
	schema := freshSchema(t)
	err := tb.app.CreateTenant(ctx, runtime.Tenant{ID: "initech", Schema: schema}, embedded)
	wantError(t, err, `create tenant "initech"`, "no .sql files at the root", "migrations/ holds 2", `fs.Sub(fsys, "migrations")`)
	if _, err := tb.app.Tenant(ctx, "initech"); !errors.Is(err, runtime.ErrUnknownTenant) {
		t.Errorf("Tenant(initech) after the refusal: %v, want ErrUnknownTenant (nothing recorded)", err)
	}
	var exists bool
	if err := tb.pg.QueryRow(ctx, "select exists (select 1 from pg_namespace where nspname = $1)", schema).Scan(&exists); err != nil || exists {
		t.Errorf("schema %q exists after the refusal (%v), want nothing created", schema, err)
	}

	err = tb.app.MigrateTenants(ctx, embedded)
	wantError(t, err, "migrate tenants", "no .sql files at the root", `fs.Sub(fsys, "migrations")`)

	// Nil migrations, on purpose, give an empty schema.
	if err := tb.app.CreateTenant(ctx, runtime.Tenant{ID: "initech", Schema: schema}, nil); err != nil {
		t.Fatalf("CreateTenant with nil migrations: %v", err)
	}
	if tn, err := tb.app.Tenant(ctx, "initech"); err != nil || !tn.Ready {
		t.Errorf("Tenant(initech) after CreateTenant with nil migrations: %+v, %v; want it ready", tn, err)
	}
}
