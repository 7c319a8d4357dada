package runtime

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantgen/tenantgen/internal/migrate"
	"github.com/tenantgen/tenantgen/internal/names"
	"github.com/tenantgen/tenantgen/internal/tenantdb"
	"github.com/tenantgen/tenantgen/templates"
)

// CreateTenantsTable creates the tenants table of the default store
// (templates/001_tenants.sql) in the shared schema of the Config.TenantsDB
// database, if it does not exist, and the shared schema first if that
// does not exist either.
func (a *App) CreateTenantsTable(ctx context.Context) error {
	p, err := a.tenantsPool("CreateTenantsTable")
	if err != nil {
		return err
	}
	if def := (TenantTable{Schema: a.cfg.TenantTable.Schema}).withDefaults(); a.cfg.TenantTable.withDefaults() != def {
		return errors.New("tenantgen: CreateTenantsTable creates the default tenants table, but Config.TenantTable names another table or columns: create that table yourself")
	}
	sql, err := fs.ReadFile(templates.FS, templates.Tenants)
	if err != nil {
		return fmt.Errorf("tenantgen: %w", err)
	}
	if err := ensureSchema(ctx, p, a.cfg.TenantTable.Schema); err != nil {
		return fmt.Errorf("tenantgen: create the tenants table: %w", err)
	}
	schema := pgx.Identifier{a.cfg.TenantTable.Schema}.Sanitize()
	return pgx.BeginTxFunc(ctx, p, pgx.TxOptions{BeginQuery: "begin; set local search_path to " + schema}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, string(sql)); err != nil {
			return fmt.Errorf("tenantgen: create the tenants table: %w", err)
		}
		return nil
	})
}

// ensureSchema creates schema in p unless it exists. It asks first, since
// CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database
// even for a schema that exists, which a role that only uses its schema
// may lack. Creating it is friendlier than failing: the shared schema is
// the App's to set up, and the error PostgreSQL gives without it ("no
// schema has been selected to create in") names no schema.
func ensureSchema(ctx context.Context, p *pgxpool.Pool, schema string) error {
	if exists, err := schemaExists(ctx, p, schema); exists || err != nil {
		return err
	}
	if _, err := p.Exec(ctx, "create schema if not exists "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return fmt.Errorf("schema %q does not exist and cannot be created: %w (create it, or grant CREATE on the database)", schema, err)
	}
	return nil
}

// schemaExists reports whether schema exists in p.
func schemaExists(ctx context.Context, p *pgxpool.Pool, schema string) (bool, error) {
	var exists bool
	if err := p.QueryRow(ctx, "select exists (select 1 from pg_catalog.pg_namespace where nspname = $1)", schema).Scan(&exists); err != nil {
		return false, fmt.Errorf("look up schema %q: %w", schema, err)
	}
	return exists, nil
}

// checkMigrations checks, before anything changes, that migrations holds
// files where CreateTenant and MigrateTenants read them.
func checkMigrations(op string, migrations fs.FS) error {
	if err := migrate.Check(migrations); err != nil {
		return fmt.Errorf("tenantgen: %s: %w", op, err)
	}
	return nil
}

// writer returns the store as a TenantWriter.
func (a *App) writer(op string) (TenantWriter, error) {
	w, ok := a.tenants.(TenantWriter)
	if !ok {
		return nil, fmt.Errorf("tenantgen: %s needs a tenant store that can save tenants (a TenantWriter), such as the default TableStore", op)
	}
	return w, nil
}

// CreateTenant provisions a tenant: it records t as not ready, creates its
// schema in the Config.TenantsDB database, applies the migrations (the *.sql files
// at the root of migrations, in name order, each in its own transaction
// with the tenant's schema first on search_path), then marks the tenant
// ready. Tasks run only for ready tenants, so no task, periodic or not,
// reaches a half-migrated tenant.
//
// Migrations without .sql files at their root, such as the embed.FS of
// //go:embed migrations, are refused before anything changes: pass
// fs.Sub(fsys, "migrations"). Nil migrations create an empty schema.
//
// CreateTenant is idempotent: calling it again for the same tenant and
// schema resumes an interrupted creation, or applies migrations added
// since. Schema names must be lowercase ASCII letters, digits and _, at
// most 63 bytes, and not start with pg_; generated names such as
// "t_<id>" avoid collisions.
func (a *App) CreateTenant(ctx context.Context, t Tenant, migrations fs.FS) error {
	if err := names.CheckTenant(t.ID); err != nil {
		return fmt.Errorf("tenantgen: create tenant: %w", err)
	}
	if err := names.CheckSchema(t.Schema); err != nil {
		return fmt.Errorf("tenantgen: create tenant %q: %w", t.ID, err)
	}
	if t.Schema == a.cfg.SharedSchema {
		return fmt.Errorf("tenantgen: create tenant %q: schema %q is the shared schema; give the tenant its own", t.ID, t.Schema)
	}
	if err := checkMigrations(fmt.Sprintf("create tenant %q", t.ID), migrations); err != nil {
		return err
	}
	w, err := a.writer("CreateTenant")
	if err != nil {
		return err
	}
	p, err := a.tenantsPool("CreateTenant")
	if err != nil {
		return err
	}
	old, err := w.Tenant(ctx, t.ID)
	var te *TenantError
	switch {
	case errors.Is(err, ErrUnknownTenant) || errors.As(err, &te):
	case err != nil:
		return fmt.Errorf("tenantgen: create tenant %q: %w", t.ID, err)
	case old.Schema != t.Schema:
		return fmt.Errorf("tenantgen: create tenant %q: it exists with schema %q, not %q", t.ID, old.Schema, t.Schema)
	}
	ready := old != nil && old.Ready
	if !ready {
		t.Ready = false
		if err := w.SaveTenant(ctx, &t); err != nil {
			return err
		}
	}
	if err := a.migrate(ctx, p, t.Schema, migrations); err != nil {
		return fmt.Errorf("tenantgen: create tenant %q: %w", t.ID, err)
	}
	t.Ready = true
	if err := w.SaveTenant(ctx, &t); err != nil {
		return err
	}
	return a.InvalidateTenant(ctx, t.ID)
}

// MigrateTenants applies the migrations not yet applied to every tenant,
// logging progress. Each file runs in its own transaction, so a tenant is
// never left with half a file applied; tenants stay ready meanwhile, so
// write migrations that the running code tolerates. Migrations are read
// as CreateTenant reads them, and refused in the same case.
func (a *App) MigrateTenants(ctx context.Context, migrations fs.FS) error {
	if a.tenants == nil {
		return errors.New("tenantgen: MigrateTenants needs a tenant store: " + a.cfg.needStore())
	}
	if err := checkMigrations("migrate tenants", migrations); err != nil {
		return err
	}
	p, err := a.tenantsPool("MigrateTenants")
	if err != nil {
		return err
	}
	list, err := a.tenants.Tenants(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	for i, t := range list {
		if err := a.migrate(ctx, p, t.Schema, migrations); err != nil {
			return fmt.Errorf("tenantgen: migrate tenant %q: %w", t.ID, err)
		}
		if (i+1)%100 == 0 || i+1 == len(list) {
			a.cfg.Logger.Info("migrating tenants", "done", i+1, "of", len(list), "elapsed", time.Since(start).Round(time.Millisecond))
		}
	}
	return nil
}

// migrate creates schema in the tenants database p if needed and applies
// the migrations not yet recorded in it.
func (a *App) migrate(ctx context.Context, p *pgxpool.Pool, schema string, migrations fs.FS) error {
	if err := names.CheckSchema(schema); err != nil {
		return err
	}
	m := migrate.Migrator{DB: p, Logger: a.cfg.Logger}
	return m.Apply(ctx, schema, tenantdb.SearchPath(schema, a.cfg.SharedSchema), migrations)
}

// UpdateTenant saves t (its name, attributes or ready flag) and drops it
// from every worker's cache. Clearing Ready stops its tasks: they fail
// permanently until it is set again.
func (a *App) UpdateTenant(ctx context.Context, t Tenant) error {
	if err := names.CheckTenant(t.ID); err != nil {
		return fmt.Errorf("tenantgen: update tenant: %w", err)
	}
	if err := names.CheckSchema(t.Schema); err != nil {
		return fmt.Errorf("tenantgen: update tenant %q: %w", t.ID, err)
	}
	w, err := a.writer("UpdateTenant")
	if err != nil {
		return err
	}
	if err := w.SaveTenant(ctx, &t); err != nil {
		return err
	}
	return a.InvalidateTenant(ctx, t.ID)
}

// DeleteTenant deletes the tenant's record and drops it from every
// worker's cache; its queued tasks then fail permanently. The tenant's
// schema is left in place: drop it yourself once you no longer need its
// data (DROP SCHEMA ... CASCADE).
func (a *App) DeleteTenant(ctx context.Context, id string) error {
	w, err := a.writer("DeleteTenant")
	if err != nil {
		return err
	}
	if err := w.DeleteTenant(ctx, id); err != nil {
		return err
	}
	return a.InvalidateTenant(ctx, id)
}

// invalidations names the Redis Pub/Sub channel of tenant changes.
func (a *App) invalidations() string { return a.cfg.Prefix + ":tenants" }

// InvalidateTenant drops the tenant from the cache of this process and,
// through Redis Pub/Sub, of every worker of the App. Call it after changing
// a tenant in a store of your own; the App's tenant methods call it for
// you.
func (a *App) InvalidateTenant(ctx context.Context, id string) error {
	if a.cache != nil {
		a.cache.Invalidate(id)
	}
	if err := a.rdb.Publish(ctx, a.invalidations(), id).Err(); err != nil {
		return fmt.Errorf("tenantgen: invalidate tenant %q: %w", id, err)
	}
	return nil
}

// watchTenants subscribes the cache to tenant invalidations until the
// returned function is called.
func (a *App) watchTenants(ctx context.Context) (func(), error) {
	return a.cache.Watch(ctx, a.rdb, a.invalidations())
}
