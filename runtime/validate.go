package runtime

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/names"
)

// validate reports every invalid field of c, which has its defaults set.
func (c *Config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if err := names.CheckDB(c.TenantsDB); err != nil {
		bad("TenantsDB: %w", err)
	}
	switch {
	case c.RedisURL == "" && c.Redis == nil:
		bad("set RedisURL or Redis")
	case c.RedisURL != "" && c.Redis != nil:
		bad("set RedisURL or Redis, not both")
	case c.RedisURL != "":
		if _, err := redis.ParseURL(c.RedisURL); err != nil {
			bad("RedisURL: %w", err)
		}
	}
	if strings.ContainsAny(c.Prefix, "{} \t\n") {
		bad("Prefix %q must not contain braces or spaces", c.Prefix)
	}
	if err := names.CheckQueue(c.DefaultQueue); err != nil {
		bad("DefaultQueue: %w", err)
	}
	for q, p := range c.Queues {
		if err := names.CheckQueue(q); err != nil {
			bad("Queues: %w", err)
		}
		if p < 1 {
			bad("Queues: priority %d of queue %q must be at least 1", p, q)
		}
	}
	for q, n := range c.QueueConcurrency {
		if _, ok := c.Queues[q]; !ok {
			bad("QueueConcurrency names queue %q, which is not in Queues", q)
		}
		if n < 1 {
			bad("QueueConcurrency of queue %q is %d; it must be at least 1", q, n)
		}
	}
	for q, l := range c.TenantLimits {
		if _, ok := c.Queues[q]; !ok {
			bad("TenantLimits names queue %q, which is not in Queues", q)
		}
		if err := l.check(); err != nil {
			bad("TenantLimits of queue %q: %w", q, err)
		}
	}
	for q, n := range c.QueuePartitions {
		if err := names.CheckQueue(q); err != nil {
			bad("QueuePartitions: %w", err)
		}
		if n < 1 || n > maxPartitions {
			bad("QueuePartitions of queue %q is %d; it must be from 1 to %d", q, n, maxPartitions)
		}
	}
	if c.MaxPayload < 1 {
		bad("MaxPayload is %d; it must be positive (bytes)", c.MaxPayload)
	}
	if c.Concurrency < 1 {
		bad("Concurrency is %d; it must be at least 1", c.Concurrency)
	}
	if c.DefaultRetries < NoRetries {
		bad("DefaultRetries is %d; it must be positive, or NoRetries for none", c.DefaultRetries)
	}
	for name, d := range map[string]time.Duration{"DefaultTimeout": c.DefaultTimeout, "ShutdownGrace": c.ShutdownGrace, "Heartbeat": c.Heartbeat} {
		if d < 0 {
			bad("%s is %v; it must not be negative", name, d)
		}
	}
	if c.WorkerTTL <= 2*c.Heartbeat {
		bad("WorkerTTL (%v) must be more than twice Heartbeat (%v), or live workers would be taken for dead", c.WorkerTTL, c.Heartbeat)
	}
	if c.MaxInterrupts < 1 {
		bad("MaxInterrupts is %d; it must be at least 1", c.MaxInterrupts)
	}
	if c.DeadMaxLen < 1 {
		bad("DeadMaxLen is %d; it must be at least 1", c.DeadMaxLen)
	}
	for alias := range c.Databases {
		if err := names.CheckDB(alias); err != nil {
			bad("Databases: %w", err)
		}
		if _, ok := c.Pools[alias]; ok {
			bad("database %q is in both Databases and Pools; keep one", alias)
		}
		if _, err := pgxpool.ParseConfig(c.Databases[alias]); err != nil {
			bad("Databases: database %q: invalid URL: %w", alias, err)
		}
	}
	for alias, p := range c.Pools {
		if err := names.CheckDB(alias); err != nil {
			bad("Pools: %w", err)
		}
		if p == nil {
			bad("Pools: database %q has a nil pool", alias)
		}
	}
	for _, alias := range c.DefaultDBs {
		if !c.hasDB(alias) {
			bad("DefaultDBs names database %q, which is not in Databases or Pools", alias)
		}
	}
	if err := names.CheckSchema(c.SharedSchema); err != nil {
		bad("SharedSchema: %w", err)
	}
	if c.DBMode != DBStatement && c.DBMode != DBTransaction {
		bad("DBMode %v is not DBStatement or DBTransaction", c.DBMode)
	}
	if c.TenantCache < 0 || c.UnknownTenantCache < 0 {
		bad("TenantCache and UnknownTenantCache must not be negative")
	}
	for i, k := range c.SigningKeys {
		if k.ID == "" || strings.ContainsAny(k.ID, "\"\x00") {
			bad("SigningKeys[%d]: key ID %q must be non-empty, without quotes", i, k.ID)
		}
		if len(k.Secret) < 32 {
			bad("SigningKeys[%d] (%q): the secret is %d bytes; use at least 32 random bytes", i, k.ID, len(k.Secret))
		}
	}
	if len(c.Databases)+len(c.Pools) > 0 && !c.hasStore() {
		// Tasks would have databases but no way to find their schema.
		bad("with databases, set Tenants, or configure the tenants database %q (TenantsDB) to hold the tenants table", c.TenantsDB)
	}
	errs = append(errs, c.checkTaskDBs()...)
	errs = append(errs, c.Outbox.check(c)...)
	if c.scheduled() {
		if c.Registry == nil {
			bad("Schedule needs Registry: register the tasks to schedule")
		} else {
			_, serrs := checkSchedule(c.Schedule.withDefaults(c.TenantsDB), c)
			for _, err := range serrs {
				bad("Schedule: %w", err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("tenantgen: invalid Config: %w", err)
	}
	return nil
}

// maxPartitions bounds Config.QueuePartitions: every partition costs each
// worker a forwarder, a reclaimer pass and a fetch per round trip.
const maxPartitions = 64

// needStore says how to give an App of c a tenant store, for the errors
// of what needs one.
func (c *Config) needStore() string {
	return fmt.Sprintf("configure the tenants database %q (Config.TenantsDB) in Config.Databases or Config.Pools, or set Config.Tenants", c.TenantsDB)
}

// checkTaskDBs reports the registered tasks that declare a database that
// is not configured. validate runs it at Open, and Run again, for tasks
// registered after Open.
func (c *Config) checkTaskDBs() []error {
	if c.Registry == nil {
		return nil
	}
	var errs []error
	for _, name := range c.Registry.Names() {
		def, _ := c.Registry.Lookup(name)
		for _, alias := range c.dbsOf(def.Spec()) {
			if !c.hasDB(alias) {
				errs = append(errs, fmt.Errorf("task %q declares database %q, which is not configured: add it to Databases or Pools", name, alias))
			}
		}
	}
	return errs
}

// hasStore reports whether an App opened from c has a tenant store.
func (c *Config) hasStore() bool { return c.Tenants != nil || c.hasDB(c.TenantsDB) }

// dbsOf returns the databases switched for a task with settings spec.
func (c *Config) dbsOf(spec TaskSpec) []string {
	if len(spec.DBs) > 0 {
		return spec.DBs
	}
	return c.DefaultDBs
}

// scheduled reports whether Run runs a scheduler: Schedule has entries or
// tables, or a registered task has a cron spec.
func (c *Config) scheduled() bool {
	if len(c.Schedule.Entries) > 0 || c.Schedule.Tables {
		return true
	}
	if c.Registry == nil {
		return false
	}
	for _, name := range c.Registry.Names() {
		if def, _ := c.Registry.Lookup(name); def.Spec().Cron != "" {
			return true
		}
	}
	return false
}

// hasDB reports whether alias names a configured database.
func (c *Config) hasDB(alias string) bool {
	_, inURLs := c.Databases[alias]
	_, inPools := c.Pools[alias]
	return inURLs || inPools
}
