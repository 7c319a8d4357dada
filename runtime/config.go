package runtime

import (
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// Config configures an App. The zero value of each field means its default;
// Open checks the whole configuration and reports every invalid field.
type Config struct {
	// RedisURL locates the Redis server, e.g. redis://127.0.0.1:6379/0. Set
	// it or Redis, not both.
	RedisURL string

	// Redis is a ready client: a *redis.Client, *redis.ClusterClient or
	// failover client. The App does not close it.
	Redis redis.UniversalClient

	// Prefix starts every Redis key of the App, so that several apps can
	// share one Redis. Default "tg".
	Prefix string

	// Databases maps database aliases to PostgreSQL URLs. The App opens a
	// pool for each (pool_max_conns in the URL, else at least Concurrency
	// connections) and closes it in Close. Tasks reach them with DB.
	Databases map[string]string

	// Pools maps database aliases to ready pools, which the App does not
	// close. An alias may appear in Databases or Pools, not both.
	Pools map[string]*pgxpool.Pool

	// SharedSchema is the schema of shared tables, second on every tenant
	// task's search_path and alone on a public task's. Default "public".
	SharedSchema string

	// TenantsDB is the alias of the database that holds the tenants
	// table (read by the default TableStore), the tenant schemas that
	// CreateTenant provisions and MigrateTenants migrates, and the periodic
	// tasks tables. Default "default".
	TenantsDB string

	// DefaultDBs lists the databases switched to the tenant's schema for
	// tasks whose directive has no dbs= option. Default {TenantsDB} when
	// that database is configured.
	DefaultDBs []string

	// DBMode says how tasks' database handles switch to the tenant's
	// schema: per statement (the default) or in one transaction per task.
	DBMode DBMode

	// Tenants looks tenants up. Default: a TableStore on the TenantsDB
	// database reading TenantTable.
	Tenants TenantStore

	// TenantTable names the table and columns of the default TableStore.
	TenantTable TenantTable

	// TenantCache is how long a worker reuses a tenant record for tasks
	// whose directive has no cache= option. Default 0: look the tenant up
	// for every task (concurrent lookups of one tenant are still shared).
	TenantCache time.Duration

	// UnknownTenantCache is how long a worker remembers that a tenant does
	// not exist, for tasks with a cache TTL. Default 1 second.
	UnknownTenantCache time.Duration

	// SigningKeys sign every enqueued task with HMAC-SHA256 and make
	// workers refuse tasks that are unsigned or whose signature does not
	// verify, before any tenant lookup. The first key signs; all verify, so
	// that keys can be rotated: add the new key first, deploy, then drop
	// the old one once no task signed with it is left.
	SigningKeys []SigningKey

	// Registry holds the tasks that Run works. Run requires it; an App that
	// only enqueues may leave it nil.
	Registry *Registry

	// Queues maps the queues that Run works to their priority: a higher
	// number is served first (StrictPriority) or more often. Default
	// {"default": 1}.
	Queues map[string]int

	// StrictPriority makes Run always start tasks of a higher-priority
	// queue first. By default tasks are ordered at random, weighted by
	// priority, so that no queue starves.
	StrictPriority bool

	// Concurrency is how many tasks one Run executes at once. Default 16.
	// A Run fetches as many as it has free slots and, when tasks are
	// shorter than a fetch round trip, a few more, which go back to their
	// queue if no slot frees within milliseconds (docs/queue.md).
	Concurrency int

	// QueueConcurrency caps how many tasks of a queue one Run executes at
	// once. Queues not listed are capped only by Concurrency.
	QueueConcurrency map[string]int

	// TenantLimits sets, by queue, the limits of each tenant's tasks in
	// the queue (weight, concurrency cap, rate), for the tenants without
	// limits of their own (App.SetTenantLimits). Workers apply the limits
	// of their own Config: give every process the same. Queues not listed
	// have weight 1 and no limit.
	TenantLimits map[string]Limits

	// QueuePartitions splits a queue into partitions, by queue: each is a
	// set of keys with a hash tag of its own, which Redis Cluster may put
	// on another node, and a tenant's tasks live in the partition that a
	// stable hash of the tenant ID picks. Workers serve every partition.
	// Default 1; raise it to spread a queue over a cluster, never lower it
	// while tasks are queued (see docs/queue.md, "Partitions").
	QueuePartitions map[string]int

	// MaxPayload caps the size of an encoded task, in bytes: a larger one
	// is refused at enqueue, and a worker dead-letters one that got in
	// anyway without reading it. Default 1 MiB. Store big data in the
	// database and pass its key.
	MaxPayload int

	// DefaultQueue is the queue of tasks that name none. Default "default".
	DefaultQueue string

	// DefaultRetries is how many times a failed task is retried when
	// neither its directive nor its enqueue options say: NoRetries for
	// none. Default 10.
	DefaultRetries int

	// DefaultTimeout bounds each attempt of a task whose directive and
	// options give no timeout. Default 10 minutes.
	DefaultTimeout time.Duration

	// Backoff returns how long to wait before retry number attempt (1 for
	// the first retry). Default: exponential from 1s, doubling, capped at
	// one hour, with jitter.
	Backoff func(attempt int) time.Duration

	// ShutdownGrace is how long Run waits, once its ctx is cancelled, for
	// running tasks to finish. Then it cancels their contexts and hands
	// unfinished tasks back to the queue without spending a retry. Default
	// 10 seconds.
	ShutdownGrace time.Duration

	// Heartbeat is how often a worker proves it is alive. Default 1 second.
	Heartbeat time.Duration

	// WorkerTTL is how long after its last heartbeat a worker counts as
	// dead; its running tasks then go back to the queue for another
	// worker. It bounds the time to recover from a crash. Default 10
	// seconds; it must exceed 2 heartbeats.
	WorkerTTL time.Duration

	// MaxInterrupts sends a task to the dead letter set once this many
	// workers have died while running one attempt of it, a sign that the
	// task itself kills its worker. Default 5.
	MaxInterrupts int

	// DeadMaxLen caps the dead letter set of each queue; the oldest
	// entries go first. Default 10,000.
	DeadMaxLen int

	// DeadMaxAge removes dead tasks older than this. Default 30 days; a
	// negative value keeps them until DeadMaxLen pushes them out.
	DeadMaxAge time.Duration

	// Schedule configures the periodic tasks that Run enqueues, through a
	// Scheduler it starts when there is anything to schedule: entries, the
	// periodic tasks tables, or registered tasks with a cron spec.
	Schedule SchedulerConfig

	// Outbox configures the relay of transactional enqueues (App.Tx):
	// set Outbox.DB to make Run relay the outbox to Redis.
	Outbox OutboxConfig

	// Middleware wraps the execution of every task, outermost first.
	Middleware []Middleware

	// EnqueueMiddleware wraps every enqueue, outermost first (see
	// EnqueueMiddleware).
	EnqueueMiddleware []EnqueueMiddleware

	// Observer watches every attempt and every settled task, for
	// telemetry: package oteltenantgen provides one. Default none, which
	// costs nothing.
	Observer Observer

	// Logger receives the App's structured logs. Default slog.Default().
	// Wrap its handler in LogHandler to give the lines that tasks log
	// through their ctx the task's ID, name, tenant and attempt.
	Logger *slog.Logger

	// SkipTenantCheck makes Enqueue and EnqueueMany enqueue tasks without
	// checking their tenant. By default an App with a tenant store
	// (Config.Tenants, or the TenantsDB database) refuses a task for a
	// tenant that is unknown or not ready, and fails when the store cannot
	// be reached; an App without a store never checks. Set it in a process
	// that must enqueue while the database is down, or for tenants it is
	// about to create; their workers still refuse what they must.
	SkipTenantCheck bool
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Prefix == "" {
		c.Prefix = "tg"
	}
	if c.DefaultQueue == "" {
		c.DefaultQueue = "default"
	}
	if len(c.Queues) == 0 {
		c.Queues = map[string]int{c.DefaultQueue: 1}
	}
	if c.Concurrency == 0 {
		c.Concurrency = 16
	}
	if c.MaxPayload == 0 {
		c.MaxPayload = DefaultMaxPayload
	}
	if c.DefaultRetries == 0 {
		c.DefaultRetries = 10
	}
	if c.DefaultTimeout == 0 {
		c.DefaultTimeout = 10 * time.Minute
	}
	if c.Backoff == nil {
		c.Backoff = DefaultBackoff
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = 10 * time.Second
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = time.Second
	}
	if c.WorkerTTL == 0 {
		c.WorkerTTL = 10 * time.Second
	}
	if c.MaxInterrupts == 0 {
		c.MaxInterrupts = 5
	}
	if c.DeadMaxLen == 0 {
		c.DeadMaxLen = 10_000
	}
	if c.DeadMaxAge == 0 {
		c.DeadMaxAge = 30 * 24 * time.Hour
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.SharedSchema == "" {
		c.SharedSchema = "public"
	}
	if c.TenantTable.Schema == "" {
		c.TenantTable.Schema = c.SharedSchema
	}
	if c.TenantsDB == "" {
		c.TenantsDB = "default"
	}
	if c.DefaultDBs == nil && c.hasDB(c.TenantsDB) {
		c.DefaultDBs = []string{c.TenantsDB}
	}
	c.Outbox = c.Outbox.withDefaults()
	if c.UnknownTenantCache == 0 {
		c.UnknownTenantCache = time.Second
	}
	return c
}

// DefaultMaxPayload is the default of Config.MaxPayload: 1 MiB.
const DefaultMaxPayload = 1 << 20

// DefaultBackoff waits about 2^(attempt-1) seconds before retry number
// attempt, capped at one hour, with up to half of it as random jitter so
// that tasks failing together do not retry together.
func DefaultBackoff(attempt int) time.Duration {
	d := time.Hour
	if attempt < 13 {
		d = min(time.Second<<max(attempt-1, 0), time.Hour)
	}
	return d/2 + rand.N(d/2+1)
}
