package runtime

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"

	"github.com/tenantgen/tenantgen/templates"
)

// CreatePeriodicTasksTable creates the periodic tasks table
// (templates/002_periodic_tasks.sql) in schema of the Config.TenantsDB database,
// or in the shared schema when schema is empty, if it does not exist. It
// creates the shared schema if need be, as CreateTenantsTable does, but
// not another schema: a tenant's comes from CreateTenant.
func (a *App) CreatePeriodicTasksTable(ctx context.Context, schema string) error {
	p, err := a.tenantsPool("CreatePeriodicTasksTable")
	if err != nil {
		return err
	}
	if schema == "" {
		schema = a.cfg.SharedSchema
	}
	if schema == a.cfg.SharedSchema {
		if err := ensureSchema(ctx, p, schema); err != nil {
			return fmt.Errorf("tenantgen: create the periodic tasks table: %w", err)
		}
	} else {
		exists, err := schemaExists(ctx, p, schema)
		if err != nil {
			return fmt.Errorf("tenantgen: create the periodic tasks table: %w", err)
		}
		if !exists {
			return fmt.Errorf("tenantgen: create the periodic tasks table in schema %q: the schema does not exist; create its tenant first (App.CreateTenant creates the schema)", schema)
		}
	}
	sql, err := fs.ReadFile(templates.FS, templates.PeriodicTasks)
	if err != nil {
		return fmt.Errorf("tenantgen: %w", err)
	}
	path := pgx.Identifier{schema}.Sanitize()
	return pgx.BeginTxFunc(ctx, p, pgx.TxOptions{BeginQuery: "begin; set local search_path to " + path}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, string(sql)); err != nil {
			return fmt.Errorf("tenantgen: create the periodic tasks table in schema %q: %w", schema, err)
		}
		return nil
	})
}
