package schedule

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Lease is the lease an Engine enqueues under, with a fencing token;
// *leader.Lease is one. Calls are serialized by the Engine.
type Lease interface {
	// Acquire takes or renews the lease and returns its token, "" if
	// another holds it.
	Acquire(ctx context.Context) (string, error)
	// Keep renews the lease when it is due for renewal and returns its
	// token, "" if it is lost.
	Keep(ctx context.Context) (string, error)
	// Token returns the token held, or "".
	Token() string
	// HSet sets field and value pairs of the hash at key if the lease is
	// still held, and reports whether it was.
	HSet(ctx context.Context, key string, pairs []any) (bool, error)
	// Release gives the lease up.
	Release(ctx context.Context) error
}

// State reads the state hash; redis.UniversalClient is one.
type State interface {
	HMGet(ctx context.Context, key string, fields ...string) *redis.SliceCmd
}

// Tenant is a tenant that entries of tenants run for.
type Tenant struct {
	ID     string
	Schema string
}

// Task is one task of one tick of an entry, for one target, to enqueue.
type Task struct {
	Tenant string        // "" for a public task
	ID     string        // the task's ID, also its unique key
	RunAt  time.Time     // when to run it; zero: now
	Unique time.Duration // how long a task with the ID keeps others out
}

// Config gives an Engine its dependencies and settings. Durations have
// their defaults set and have been checked.
type Config struct {
	Lease    Lease
	State    State
	StateKey string // the hash of each entry's last handled tick, in the lease's hash slot

	// Tenants lists the tenants that entries of tenants run for: ready,
	// not in the shared schema, and passing the user's filter, sorted by
	// ID. A tick calls it once, and again only after an error.
	Tenants func(ctx context.Context) ([]Tenant, error)

	// Enqueue enqueues tasks of e, at most Batch of them, in one round
	// trip; a task whose ID was enqueued before counts as enqueued. The
	// engine reuses tasks once it returns.
	Enqueue func(ctx context.Context, e *Entry, tasks []Task) error

	// Tables, if set, is the database of the periodic tasks tables, read
	// at every tick; Lookup checks the tasks its rows name.
	Tables       DB
	Lookup       Lookup
	SharedSchema string

	Batch    int           // the most tasks of one Enqueue call
	Spread   time.Duration // the spread of table rows; negative: none
	Grace    time.Duration // how late a tick may run and not count as missed
	Poll     time.Duration // how often Run ticks
	LeaseTTL time.Duration // the lease's; with Grace and the spread, how long a tick's IDs stay unique
	CatchUp  bool          // run a missed tick once rather than skip it
	Now      func() time.Time
	Log      *slog.Logger
}

// Engine fires the due ticks of its entries while it holds the lease.
type Engine struct {
	cfg     Config
	entries []*Entry // from Go and from cron specs, by ID

	mu       sync.Mutex // serializes Tick, Release and Leader
	problems string     // the problems last logged, to log changes only
	crash    bool       // tests: stop a tick after enqueueing, as if killed
	tasks    []Task     // the batch being enqueued, reused from batch to batch
}

// New returns an engine of entries, which it sorts by ID.
func New(cfg Config, entries []*Entry) *Engine {
	slices.SortFunc(entries, func(x, y *Entry) int { return cmp.Compare(x.id, y.id) })
	return &Engine{cfg: cfg, entries: entries}
}

// Entries returns the IDs of the entries declared in Go and by cron
// specs, sorted.
func (e *Engine) Entries() []string {
	ids := make([]string, len(e.entries))
	for i, en := range e.entries {
		ids[i] = en.id
	}
	return ids
}

// Leader reports whether the engine held the lease at its last tick.
func (e *Engine) Leader() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg.Lease.Token() != ""
}

// CrashAfterEnqueue makes the next ticks stop right after enqueueing an
// entry, before recording it, and keep the lease: as if the process were
// killed at the worst moment. It exists for tests of failover.
func (e *Engine) CrashAfterEnqueue() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.crash = true
}

// Run ticks every Poll until ctx is cancelled, then releases the lease if
// it held it. Problems are logged when they change.
func (e *Engine) Run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			e.release()
			return
		case <-timer.C:
		}
		err := e.Tick(ctx)
		if ctx.Err() != nil {
			continue
		}
		if msg := errString(err); msg != e.problems {
			e.problems = msg
			if err != nil {
				e.cfg.Log.Error("scheduler tick", "err", err)
			}
		}
		timer.Reset(e.cfg.Poll)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// release gives the lease up, so that another scheduler takes over at
// once. ctx of Run is done by then, so it takes a second of its own.
func (e *Engine) release() {
	e.mu.Lock()
	defer e.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = e.cfg.Lease.Release(ctx) // else the lease expires after its TTL
}

// errLostLease stops a tick whose scheduler is no longer the leader.
var errLostLease = errors.New("tenantgen: scheduler lost its lease to another scheduler")
