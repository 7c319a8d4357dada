package runtime

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/names"
	"github.com/tenantgen/tenantgen/internal/outbox"
	"github.com/tenantgen/tenantgen/internal/queue"
	"github.com/tenantgen/tenantgen/internal/tenantdb"
)

// App is the handle on a tenantgen deployment for both sides: it enqueues
// tasks (it is an Enqueuer) and, with Run, works them. Open one per process
// and share it; it is safe for concurrent use.
type App struct {
	cfg    Config
	rdb    redis.UniversalClient
	ownRDB bool // the App opened rdb and closes it

	dbs     tenantdb.Pools // every database, by alias
	tenants TenantStore    // nil without databases
	cache   *tenantCache   // of tenants; nil without a store
	engine  *queue.Client  // the Redis queue: enqueue, admin, workers

	hadTaskLimits bool // recordTaskLimits recorded limits of tasks

	enqueue EnqueueFunc // Config.EnqueueMiddleware around enqueueRedis

	outbox outbox.Table // of transactional enqueues, in the shared schema

	paths tenantdb.SearchPaths // every task's search_path, around SharedSchema
}

// Open checks cfg, connects to Redis and returns an App.
func Open(ctx context.Context, cfg Config) (*App, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, rdb: cfg.Redis, outbox: outbox.NewTable(cfg.SharedSchema), paths: tenantdb.NewSearchPaths(cfg.SharedSchema)}
	if a.rdb == nil {
		a.rdb, a.ownRDB = newRedisClient(cfg), true
	}
	a.engine = queue.NewClient(a.rdb, queueConfig(cfg))
	a.enqueue = a.chainEnqueue(a.enqueueRedis)
	if err := a.rdb.Ping(ctx).Err(); err != nil {
		a.Close()
		return nil, fmt.Errorf("tenantgen: connect to redis: %w (is it running? check Config.RedisURL)", err)
	}
	if err := a.recordTaskLimits(ctx); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.openDatabases(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// queueConfig translates cfg, with its defaults set, into the queue
// engine's configuration: the one place where the engine's settings come
// from Config.
func queueConfig(cfg Config) queue.Config {
	keys := make([]queue.SigningKey, len(cfg.SigningKeys))
	for i, k := range cfg.SigningKeys {
		keys[i] = queue.SigningKey{ID: k.ID, Secret: k.Secret}
	}
	var tenantLimits map[string]queue.Limits
	for q, l := range cfg.TenantLimits {
		if tenantLimits == nil {
			tenantLimits = make(map[string]queue.Limits, len(cfg.TenantLimits))
		}
		tenantLimits[q] = l.engine()
	}
	return queue.Config{
		Prefix:           cfg.Prefix,
		SigningKeys:      keys,
		Queues:           cfg.Queues,
		StrictPriority:   cfg.StrictPriority,
		Concurrency:      cfg.Concurrency,
		QueueConcurrency: cfg.QueueConcurrency,
		DefaultTimeout:   cfg.DefaultTimeout,
		Backoff:          cfg.Backoff,
		ShutdownGrace:    cfg.ShutdownGrace,
		Heartbeat:        cfg.Heartbeat,
		WorkerTTL:        cfg.WorkerTTL,
		MaxInterrupts:    cfg.MaxInterrupts,
		DeadMaxLen:       cfg.DeadMaxLen,
		DeadMaxAge:       cfg.DeadMaxAge,
		MaxPayload:       cfg.MaxPayload,
		TenantLimits:     tenantLimits,
		Partitions:       cfg.QueuePartitions,
		Logger:           cfg.Logger,
		Observer:         engineObserver(cfg.Observer),
	}
}

// Close releases the App's Redis connections and database pools, except
// those that Config.Redis and Config.Pools supplied. Stop Run (cancel its
// ctx) before closing.
func (a *App) Close() error {
	for _, p := range a.dbs.Owned {
		p.Close()
	}
	if a.ownRDB {
		return a.rdb.Close()
	}
	return nil
}

// Enqueue queues req and returns the new task's ID. For a unique task
// enqueued again within its window, it returns the ID of the task already
// queued and an error wrapping ErrDuplicate.
func (a *App) Enqueue(ctx context.Context, req Request) (TaskID, error) {
	return enqueueOne(ctx, a.EnqueueMany, req)
}

// enqueueOne enqueues req alone through enqueue, returning its own error
// rather than a *BatchError of one.
func enqueueOne(ctx context.Context, enqueue EnqueueFunc, req Request) (TaskID, error) {
	ids, err := enqueue(ctx, []Request{req})
	if err != nil {
		var be *BatchError
		if errors.As(err, &be) {
			return ids[0], be.Errs[0].Err
		}
		return "", err
	}
	return ids[0], nil
}

// ErrPayloadTooLarge is wrapped by the error of a task whose encoded size
// exceeds Config.MaxPayload.
var ErrPayloadTooLarge = errors.New("tenantgen: task payload too large")

// BatchError reports the requests of an EnqueueMany call that were not
// enqueued.
type BatchError struct {
	Errs []IndexedError // by ascending Index
}

// IndexedError is the error of one request of a batch.
type IndexedError struct {
	Index int
	Err   error
}

func (e *BatchError) Error() string {
	msg := fmt.Sprintf("request %d: %v", e.Errs[0].Index, e.Errs[0].Err)
	if len(e.Errs) > 1 {
		msg += fmt.Sprintf(" (and %d more failed requests)", len(e.Errs)-1)
	}
	return msg
}

// Unwrap returns the errors of the failed requests.
func (e *BatchError) Unwrap() []error {
	errs := make([]error, len(e.Errs))
	for i, ie := range e.Errs {
		errs[i] = ie.Err
	}
	return errs
}

// EnqueueMany queues reqs in one round trip to Redis and returns their IDs,
// in order. Requests that fail (invalid, or duplicates of unique tasks) are
// reported in a *BatchError; the others are enqueued all the same. A
// duplicate's ID is that of the task already queued.
func (a *App) EnqueueMany(ctx context.Context, reqs []Request) ([]TaskID, error) {
	return a.enqueue(ctx, reqs)
}

// enqueueRedis is the innermost EnqueueFunc: it writes reqs to Redis in
// one round trip, trusting the tenants that withListed put in ctx to exist
// and be ready.
func (a *App) enqueueRedis(ctx context.Context, reqs []Request) ([]TaskID, error) {
	batch := a.engine.Batch()
	ids, bad := a.prepare(ctx, reqs, func(i int, t queue.Prepared) { batch.AddTask(ctx, i, &t) })
	dups, err := execBatch(ctx, &batch, ids)
	if err != nil {
		return nil, err
	}
	for i, holder := range dups {
		ids[i] = TaskID(holder)
		bad = append(bad, IndexedError{i, fmt.Errorf("task %q already enqueued as %s: %w", reqs[i].Name, holder, ErrDuplicate)})
	}
	return batchResult(ids, bad)
}

// prepare makes the tasks of reqs ready for a writer, the same way for
// Redis and the outbox: it builds each envelope, checks its tenant
// (trusting those that withListed put in ctx), signs and encodes it, and
// hands the task to add with its request's index. It returns the IDs of
// the requests, "" for those that failed, and their errors.
func (a *App) prepare(ctx context.Context, reqs []Request, add func(i int, t queue.Prepared)) ([]TaskID, []IndexedError) {
	ids := make([]TaskID, len(reqs))
	var bad []IndexedError
	now := time.Now()
	refused := a.checkTenants(ctx, reqs, listedFrom(ctx)) // by index; nil if none
	for i, req := range reqs {
		env, due, err := a.envelope(req, now)
		if err = cmp.Or(err, refused[i]); err != nil {
			bad = append(bad, IndexedError{i, err})
			continue
		}
		t, err := a.engine.Prepare(&env, due, req.Unique, req.UniqueKey)
		if err != nil {
			var big *queue.PayloadError
			if errors.As(err, &big) {
				err = fmt.Errorf("tenantgen: enqueue task %q: the task is %d bytes encoded, over Config.MaxPayload (%d bytes): store big data in the database and pass its key in the arguments: %w", req.Name, big.Size, big.Limit, ErrPayloadTooLarge)
			} else {
				err = fmt.Errorf("tenantgen: encode task %q: %w", req.Name, err)
			}
			bad = append(bad, IndexedError{i, err})
			continue
		}
		add(i, t) // by value: a pointer would make t escape, an allocation per task
		ids[i] = TaskID(env.ID)
	}
	return ids, bad
}

// batchResult returns ids with a *BatchError of bad, if any.
func batchResult(ids []TaskID, bad []IndexedError) ([]TaskID, error) {
	if len(bad) == 0 {
		return ids, nil
	}
	// Invalid requests were found before the duplicates, which come from a
	// map: report them all in request order.
	slices.SortFunc(bad, func(x, y IndexedError) int { return cmp.Compare(x.Index, y.Index) })
	return ids, &BatchError{Errs: bad}
}

// envelope builds the envelope of req and its due time (zero: now). The
// engine signs it when it adds it to a batch.
func (a *App) envelope(req Request, now time.Time) (queue.Envelope, time.Time, error) {
	if req.Name == "" {
		return queue.Envelope{}, time.Time{}, errors.New("tenantgen: enqueue: request without a task name")
	}
	q := req.Queue
	if q == "" {
		q = a.cfg.DefaultQueue
	} else if err := names.CheckQueue(q); err != nil {
		return queue.Envelope{}, time.Time{}, fmt.Errorf("tenantgen: enqueue task %q: %w", req.Name, err)
	}
	if req.Tenant != "" {
		if err := names.CheckTenant(req.Tenant); err != nil {
			return queue.Envelope{}, time.Time{}, fmt.Errorf("tenantgen: enqueue task %q: %w", req.Name, err)
		}
	}
	if !json.Valid(req.Args) {
		return queue.Envelope{}, time.Time{}, fmt.Errorf("tenantgen: enqueue task %q: arguments are not valid JSON", req.Name)
	}
	retries := req.Retries
	if retries < NoRetries {
		return queue.Envelope{}, time.Time{}, fmt.Errorf("tenantgen: enqueue task %q: negative retry count %d: use a positive count, 0 for the default or NoRetries for none", req.Name, retries)
	}
	if retries == 0 {
		retries = a.cfg.DefaultRetries
	}
	if retries == NoRetries {
		retries = 0
	}
	env := queue.Envelope{
		Version:  queue.EnvelopeVersion,
		ID:       string(req.ID),
		Name:     req.Name,
		Tenant:   req.Tenant,
		Queue:    q,
		Args:     req.Args,
		Retries:  retries,
		Timeout:  req.Timeout.Milliseconds(),
		Enqueued: now.UnixMilli(),
		Headers:  req.Headers,
	}
	if !req.Deadline.IsZero() {
		env.Deadline = req.Deadline.UnixMilli()
	}
	if env.ID == "" {
		env.ID = string(newTaskID())
	}
	var due time.Time
	if req.RunAt.After(now) {
		due = req.RunAt
	}
	return env, due, nil
}

// newTaskID returns a random task ID.
func newTaskID() TaskID { return TaskID(queue.NewID()) }
