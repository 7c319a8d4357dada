package queue

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config configures a Client and its Workers. Package runtime fills it from
// its own Config, with every default already applied; the fields mean what
// the runtime.Config fields of the same names document.
type Config struct {
	Prefix           string
	SigningKeys      []SigningKey // the first signs, all verify; none: tasks are not signed
	Queues           map[string]int
	StrictPriority   bool
	Concurrency      int
	QueueConcurrency map[string]int
	DefaultTimeout   time.Duration
	Backoff          func(attempt int) time.Duration
	ShutdownGrace    time.Duration
	Heartbeat        time.Duration
	WorkerTTL        time.Duration
	MaxInterrupts    int
	DeadMaxLen       int
	DeadMaxAge       time.Duration     // not positive: no limit
	MaxPayload       int               // largest encoded task, bytes; not positive: no limit
	TenantLimits     map[string]Limits // by queue: the limits of tenant lanes without a record of their own
	Partitions       map[string]int    // by queue, when more than 1
	Logger           *slog.Logger
	Observer         Observer // nil: settlements are not reported
}

// Client enqueues tasks and reads and repairs queues on one Redis. It is
// safe for concurrent use.
type Client struct {
	rdb    redis.UniversalClient
	cfg    Config
	signer *signer // nil without Config.SigningKeys
}

// NewClient returns a Client of rdb.
func NewClient(rdb redis.UniversalClient, cfg Config) *Client {
	return &Client{rdb: rdb, cfg: cfg, signer: newSigner(cfg.SigningKeys)}
}

// partitions returns how many partitions queue has.
func (c *Client) partitions(queue string) int { return max(c.cfg.Partitions[queue], 1) }

// keysOf returns the keys of the partition of queue that tenant's tasks
// live in.
func (c *Client) keysOf(queue, tenant string) keys {
	return queueKeys(c.cfg.Prefix, queue, partitionOf(tenant, c.partitions(queue)))
}

// maxPayload returns the max payload in bytes as the fetch script takes it.
func (c *Client) maxPayload() int {
	if c.cfg.MaxPayload > 0 {
		return c.cfg.MaxPayload
	}
	return 1 << 62
}

// NewID returns a random ID, for tasks and worker names.
func NewID() string { return rand.Text() }

// ProcessName returns a name for one worker or scheduler of this process,
// unique among those of every host: host, process ID and a random suffix.
// Operators read it in consumer lists, lease holders and logs.
func ProcessName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), NewID()[:6])
}
