// Package service wires the example application together: its settings,
// read from the environment, the App of a worker or a web server, the
// provisioning of its tenants, and the HTTP handler of its web server.
// The commands under example/cmd are thin mains around it.
package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/example/billing"
	"github.com/tenantgen/tenantgen/runtime"
)

// Settings configure the example application. FromEnv reads them from the
// environment.
type Settings struct {
	RedisURL    string // TENANTGEN_REDIS_URL
	DatabaseURL string // TENANTGEN_DATABASE_URL: the "default" database
	ReplicaURL  string // TENANTGEN_REPLICA_URL: the "replica" database; default DatabaseURL

	// Namespace names everything the application creates, so that several
	// copies can share one PostgreSQL and one Redis: the shared schema is
	// <namespace>_shared, a tenant's schema <namespace>_<tenant>, and
	// every Redis key starts with <namespace>:. TENANTGEN_NAMESPACE;
	// default "example".
	Namespace string

	Concurrency int           // TENANTGEN_CONCURRENCY: tasks a worker runs at once; default 8
	Heartbeat   time.Duration // TENANTGEN_HEARTBEAT: default the runtime's (1s)
	WorkerTTL   time.Duration // TENANTGEN_WORKER_TTL: default the runtime's (10s)
}

// Environment variables read by FromEnv.
const (
	EnvRedisURL    = "TENANTGEN_REDIS_URL"
	EnvDatabaseURL = "TENANTGEN_DATABASE_URL"
	EnvReplicaURL  = "TENANTGEN_REPLICA_URL"
	EnvNamespace   = "TENANTGEN_NAMESPACE"
	EnvConcurrency = "TENANTGEN_CONCURRENCY"
	EnvHeartbeat   = "TENANTGEN_HEARTBEAT"
	EnvWorkerTTL   = "TENANTGEN_WORKER_TTL"
)

// Loopback servers used when the environment names none, as in
// scripts/services.sh.
const (
	DefaultRedisURL    = "redis://127.0.0.1:6379/0"
	DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
)

// namespaceRE is what a namespace may be: a valid schema name prefix and
// Redis key prefix.
var namespaceRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// FromEnv reads Settings from the environment (see the Env constants),
// reporting every invalid variable at once.
func FromEnv() (Settings, error) {
	s := Settings{
		RedisURL:    env(EnvRedisURL, DefaultRedisURL),
		DatabaseURL: env(EnvDatabaseURL, DefaultDatabaseURL),
		Namespace:   env(EnvNamespace, "example"),
		Concurrency: 8,
	}
	s.ReplicaURL = env(EnvReplicaURL, s.DatabaseURL)
	var errs []error
	if v := os.Getenv(EnvConcurrency); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive number", EnvConcurrency, v))
		}
		s.Concurrency = n
	}
	for name, dst := range map[string]*time.Duration{EnvHeartbeat: &s.Heartbeat, EnvWorkerTTL: &s.WorkerTTL} {
		if v := os.Getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Errorf("%s=%q: want a positive duration such as 2s", name, v))
			}
			*dst = d
		}
	}
	if err := s.check(); err != nil {
		errs = append(errs, err)
	}
	return s, errors.Join(errs...)
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func (s Settings) check() error {
	if !namespaceRE.MatchString(s.Namespace) {
		return fmt.Errorf("namespace %q: want lowercase ASCII letters, digits and _, starting with a letter, at most 40 bytes", s.Namespace)
	}
	return nil
}

// SharedSchema returns the schema of the tables shared by every tenant.
func (s Settings) SharedSchema() string { return s.Namespace + "_shared" }

// TenantSchema returns the schema of the tenant with the given ID.
func (s Settings) TenantSchema(id string) string {
	return s.Namespace + "_" + strings.ReplaceAll(strings.ToLower(id), "-", "_")
}

// Queues are the queues a worker works, with their priorities.
var Queues = map[string]int{"billing": 3, "default": 2, "imports": 1}

// Tenants are the tenants of the example.
var Tenants = []runtime.Tenant{
	{ID: "acme", Name: "Acme Corporation", Attrs: map[string]string{"plan": "enterprise"}},
	{ID: "globex", Name: "Globex", Attrs: map[string]string{"plan": "team"}},
	{ID: "initech", Name: "Initech", Attrs: map[string]string{"plan": "starter"}},
}

// Config returns the runtime configuration of the application. A worker
// passes a registry; a process that only enqueues passes nil.
func (s Settings) Config(reg *runtime.Registry, logger *slog.Logger) runtime.Config {
	return runtime.Config{
		RedisURL: s.RedisURL,
		Prefix:   s.Namespace,
		Databases: map[string]string{
			"default": s.DatabaseURL,
			// The example's replica is a second pool on the same server;
			// point TENANTGEN_REPLICA_URL at a streaming replica to read
			// from one.
			"replica": s.ReplicaURL,
		},
		SharedSchema: s.SharedSchema(),
		Registry:     reg,
		Queues:       Queues,
		Concurrency:  s.Concurrency,
		Heartbeat:    s.Heartbeat,
		WorkerTTL:    s.WorkerTTL,
		Logger:       logger,
	}
}

// OpenWorker opens the App of a worker, with every task of package billing
// registered.
func OpenWorker(ctx context.Context, s Settings, logger *slog.Logger) (*runtime.App, error) {
	reg := runtime.NewRegistry()
	if err := billing.RegisterTasks(reg); err != nil {
		return nil, err
	}
	return runtime.Open(ctx, s.Config(reg, logger))
}

// OpenClient opens the App of a process that only enqueues, such as the web
// server or the demo driver.
func OpenClient(ctx context.Context, s Settings, logger *slog.Logger) (*runtime.App, error) {
	return runtime.Open(ctx, s.Config(nil, logger))
}

// Setup creates what the application needs in PostgreSQL, idempotently:
// the shared schema with the tenants table and the shared tables, then
// every tenant of Tenants through App.CreateTenant, each in a schema of
// its own migrated with billing.TenantMigrations.
func Setup(ctx context.Context, app *runtime.App, s Settings) error {
	pool, ok := app.Pool("default")
	if !ok {
		return errors.New("setup: the App has no database \"default\"")
	}
	shared := pgx.Identifier{s.SharedSchema()}.Sanitize()
	if _, err := pool.Exec(ctx, "create schema if not exists "+shared); err != nil {
		return fmt.Errorf("setup: create schema %q: %w", s.SharedSchema(), err)
	}
	if err := app.CreateTenantsTable(ctx); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	files, err := fs.Glob(billing.SharedMigrations, "*.sql")
	if err != nil {
		return err
	}
	slices.Sort(files)
	for _, name := range files {
		sql, err := fs.ReadFile(billing.SharedMigrations, name)
		if err != nil {
			return err
		}
		err = pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{BeginQuery: "begin; set local search_path to " + shared}, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, string(sql))
			return err
		})
		if err != nil {
			return fmt.Errorf("setup: shared migration %s: %w", name, err)
		}
	}
	for _, t := range Tenants {
		t.Schema = s.TenantSchema(t.ID)
		if err := app.CreateTenant(ctx, t, billing.TenantMigrations); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	return nil
}

// Teardown drops what Setup and the application created: the schemas of
// the tenants recorded in the tenants table, the shared schema, and every
// Redis key of the namespace.
func Teardown(ctx context.Context, s Settings) error {
	if err := s.check(); err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, s.DatabaseURL)
	if err != nil {
		return fmt.Errorf("teardown: %w", err)
	}
	defer pool.Close()
	var errs []error
	schemas := []string{}
	rows, err := pool.Query(ctx, "select schema_name from "+pgx.Identifier{s.SharedSchema(), "tenants"}.Sanitize())
	if err == nil {
		schemas, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	var pgErr interface{ SQLState() string }
	if err != nil && !(errors.As(err, &pgErr) && pgErr.SQLState() == "42P01") { // no tenants table: nothing provisioned
		errs = append(errs, fmt.Errorf("teardown: list tenants: %w", err))
	}
	for _, schema := range append(schemas, s.SharedSchema()) {
		if _, err := pool.Exec(ctx, "drop schema if exists "+pgx.Identifier{schema}.Sanitize()+" cascade"); err != nil {
			errs = append(errs, fmt.Errorf("teardown: drop schema %q: %w", schema, err))
		}
	}
	opts, err := redis.ParseURL(s.RedisURL)
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("teardown: %w", err))...)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	iter := rdb.Scan(ctx, 0, s.Namespace+":*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		errs = append(errs, fmt.Errorf("teardown: scan redis keys: %w", err))
	}
	for chunk := range slices.Chunk(keys, 500) {
		if err := rdb.Unlink(ctx, chunk...).Err(); err != nil {
			errs = append(errs, fmt.Errorf("teardown: delete redis keys: %w", err))
		}
	}
	return errors.Join(errs...)
}
