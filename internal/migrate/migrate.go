package migrate

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Table records, in each tenant schema, the migration files applied to it.
const Table = "tenantgen_migrations"

// DB is the part of a pgx pool that migrations use.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Migrator applies migration files through DB, logging each file applied.
type Migrator struct {
	DB     DB
	Logger *slog.Logger
}

// Apply creates schema if needed and applies the *.sql files at the root
// of files, in name order, that are not yet recorded in it. Each runs with
// search_path set to path (quoted, as tenantdb.SearchPath returns it).
// Files without any at their root are refused (see Check); nil files only
// create the schema.
func (m Migrator) Apply(ctx context.Context, schema, path string, files fs.FS) error {
	if err := Check(files); err != nil {
		return err
	}
	var names []string
	if files != nil {
		var err error
		if names, err = fs.Glob(files, "*.sql"); err != nil {
			return err
		}
	}
	slices.Sort(names)
	ident := pgx.Identifier{schema}.Sanitize()
	// Citus cannot create a schema and its tables in one statement: the
	// schema comes first, on its own.
	if _, err := m.DB.Exec(ctx, "create schema if not exists "+ident); err != nil {
		return fmt.Errorf("create schema %q: %w", schema, err)
	}
	if _, err := m.DB.Exec(ctx, "create table if not exists "+ident+"."+Table+" (name text primary key, applied_at timestamptz not null default now())"); err != nil {
		return fmt.Errorf("create %s.%s: %w", schema, Table, err)
	}
	for _, name := range names {
		if err := m.applyFile(ctx, schema, path, files, name); err != nil {
			return err
		}
	}
	return nil
}

// applyFile applies one file to schema unless it was applied, in one
// transaction that also records it. Concurrent calls for one schema
// serialize on an advisory lock.
func (m Migrator) applyFile(ctx context.Context, schema, path string, files fs.FS, name string) error {
	sql, err := fs.ReadFile(files, name)
	if err != nil {
		return err
	}
	table := pgx.Identifier{schema, Table}.Sanitize()
	return pgx.BeginTxFunc(ctx, m.DB, pgx.TxOptions{BeginQuery: "begin; set local search_path to " + path}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "select pg_advisory_xact_lock(hashtext($1))", "tenantgen/migrate/"+schema); err != nil {
			return err
		}
		var applied bool
		if err := tx.QueryRow(ctx, "select exists (select 1 from "+table+" where name = $1)", name).Scan(&applied); err != nil {
			return err
		}
		if applied {
			return nil
		}
		// No arguments: pgx sends the file with the simple protocol, which
		// runs several statements.
		if _, err := tx.Exec(ctx, string(sql)); err != nil {
			return fmt.Errorf("migration %s in schema %q: %w", name, schema, err)
		}
		if _, err := tx.Exec(ctx, "insert into "+table+" (name) values ($1)", name); err != nil {
			return err
		}
		m.Logger.Info("migration applied", "schema", schema, "file", name)
		return nil
	})
}
