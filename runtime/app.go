package runtime

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/names"
)

// App is the handle on a tenantgen deployment for both sides: it enqueues
// tasks (it is an Enqueuer) and, with Run, works them. Open one per process
// and share it; it is safe for concurrent use.
type App struct {
	cfg    Config
	rdb    redis.UniversalClient
	ownRDB bool // the App opened rdb and closes it

	pools     map[string]*pgxpool.Pool     // by alias
	ownPools  []*pgxpool.Pool              // opened from Config.Databases
	execModes map[string]pgx.QueryExecMode // of each pool, by alias
	tenants   TenantStore                  // nil without databases
	cache     *tenantCache                 // of tenants; nil without a store
	signer    *signer                      // nil without Config.SigningKeys
}

// Open checks cfg, connects to Redis and returns an App.
func Open(ctx context.Context, cfg Config) (*App, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, rdb: cfg.Redis, signer: newSigner(cfg.SigningKeys)}
	if a.rdb == nil {
		opts, _ := redis.ParseURL(cfg.RedisURL) // checked by validate
		opts.PoolSize = max(opts.PoolSize, cfg.Concurrency+8)
		a.rdb, a.ownRDB = redis.NewClient(opts), true
	}
	if err := a.rdb.Ping(ctx).Err(); err != nil {
		a.Close()
		return nil, fmt.Errorf("tenantgen: connect to redis: %w (is it running? check Config.RedisURL)", err)
	}
	if err := a.openDatabases(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// Close releases the App's Redis connections and database pools, except
// those that Config.Redis and Config.Pools supplied. Stop Run (cancel its
// ctx) before closing.
func (a *App) Close() error {
	for _, p := range a.ownPools {
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
	ids, err := a.EnqueueMany(ctx, []Request{req})
	if err != nil {
		var be *BatchError
		if errors.As(err, &be) {
			return ids[0], be.Errs[0].Err
		}
		return "", err
	}
	return ids[0], nil
}

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
	ids := make([]TaskID, len(reqs))
	var bad []IndexedError
	now := time.Now()
	pipe := a.rdb.Pipeline()
	var uniques map[int]*redis.Cmd
	var k keys // of queue kQueue: requests of a batch tend to share a queue
	var kQueue string
	for i, req := range reqs {
		env, due, err := a.envelope(req, now)
		if err != nil {
			bad = append(bad, IndexedError{i, err})
			continue
		}
		data, err := env.encode()
		if err != nil {
			bad = append(bad, IndexedError{i, fmt.Errorf("tenantgen: encode task %q: %w", req.Name, err)})
			continue
		}
		ids[i] = env.ID
		if env.Queue != kQueue {
			k, kQueue = queueKeys(a.cfg.Prefix, env.Queue), env.Queue
		}
		switch {
		case req.Unique > 0:
			if uniques == nil {
				uniques = make(map[int]*redis.Cmd)
			}
			dueMS := "0"
			if !due.IsZero() {
				dueMS = strconv.FormatInt(ceilMilli(due), 10)
			}
			lock := k.uniqueLock(env.Name, env.Tenant, env.Args)
			if req.UniqueKey != "" {
				lock = k.keyLock(req.UniqueKey)
			}
			uniques[i] = uniqueScript.Eval(ctx, pipe, []string{lock, k.stream, k.delayed},
				string(env.ID), req.Unique.Milliseconds(), data, dueMS)
		case due.IsZero():
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: k.stream, Values: []string{fieldEnvelope, data}})
		default:
			pipe.ZAdd(ctx, k.delayed, redis.Z{Score: float64(ceilMilli(due)), Member: data})
		}
	}
	if pipe.Len() > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("tenantgen: enqueue: %w", err)
		}
	}
	for i, cmd := range uniques {
		holder, err := cmd.Text()
		if err != nil {
			return nil, fmt.Errorf("tenantgen: enqueue: %w", err)
		}
		if TaskID(holder) != ids[i] {
			ids[i] = TaskID(holder)
			bad = append(bad, IndexedError{i, fmt.Errorf("task %q already enqueued as %s: %w", reqs[i].Name, holder, ErrDuplicate)})
		}
	}
	if len(bad) > 0 {
		// Invalid requests were found before the duplicates, which come
		// from a map: report them all in request order.
		slices.SortFunc(bad, func(x, y IndexedError) int { return cmp.Compare(x.Index, y.Index) })
		return ids, &BatchError{Errs: bad}
	}
	return ids, nil
}

// envelope builds the envelope of req and its due time (zero: now).
func (a *App) envelope(req Request, now time.Time) (envelope, time.Time, error) {
	if req.Name == "" {
		return envelope{}, time.Time{}, errors.New("tenantgen: enqueue: request without a task name")
	}
	queue := req.Queue
	if queue == "" {
		queue = a.cfg.DefaultQueue
	} else if err := names.CheckQueue(queue); err != nil {
		return envelope{}, time.Time{}, fmt.Errorf("tenantgen: enqueue task %q: %w", req.Name, err)
	}
	if req.Tenant != "" {
		if err := names.CheckTenant(req.Tenant); err != nil {
			return envelope{}, time.Time{}, fmt.Errorf("tenantgen: enqueue task %q: %w", req.Name, err)
		}
	}
	if !json.Valid(req.Args) {
		return envelope{}, time.Time{}, fmt.Errorf("tenantgen: enqueue task %q: arguments are not valid JSON", req.Name)
	}
	retries := req.Retries
	if retries == 0 {
		retries = a.cfg.DefaultRetries
	}
	if retries == NoRetries {
		retries = 0
	}
	env := envelope{
		Version:  envelopeVersion,
		ID:       req.ID,
		Name:     req.Name,
		Tenant:   req.Tenant,
		Queue:    queue,
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
		env.ID = newTaskID()
	}
	if a.signer != nil {
		a.signer.sign(&env)
	}
	var due time.Time
	if req.RunAt.After(now) {
		due = req.RunAt
	}
	return env, due, nil
}

// ceilMilli returns t in Unix milliseconds, rounded up so that a task due at
// t is never forwarded before t.
func ceilMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.After(time.UnixMilli(ms)) {
		ms++
	}
	return ms
}

// newTaskID returns a random task ID.
func newTaskID() TaskID { return TaskID(rand.Text()) }

// QueueStats counts the tasks of a queue.
type QueueStats struct {
	Ready     int64 // waiting for a worker
	Running   int64 // delivered to a worker and not yet settled
	Scheduled int64 // delayed, or waiting for a retry
	Dead      int64 // in the dead letter set
}

// Stats counts the tasks of queue.
func (a *App) Stats(ctx context.Context, queue string) (QueueStats, error) {
	k := queueKeys(a.cfg.Prefix, queue)
	pipe := a.rdb.Pipeline()
	xlen := pipe.XLen(ctx, k.stream)
	pending := pipe.XPending(ctx, k.stream, group)
	delayed := pipe.ZCard(ctx, k.delayed)
	dead := pipe.ZCard(ctx, k.dead)
	if _, err := pipe.Exec(ctx); err != nil && !isNoGroup(err) {
		return QueueStats{}, fmt.Errorf("tenantgen: stats of queue %q: %w", queue, err)
	}
	var running int64
	if p, err := pending.Result(); err == nil {
		running = p.Count
	}
	return QueueStats{Ready: xlen.Val() - running, Running: running, Scheduled: delayed.Val(), Dead: dead.Val()}, nil
}

// DeadTask is a task in the dead letter set.
type DeadTask struct {
	ID       TaskID
	Name     string
	Tenant   string
	Queue    string
	Args     []byte
	Attempts int       // attempts made
	Error    string    // the last attempt's error, or why it never ran
	Enqueued time.Time // first enqueue
	Died     time.Time // when it was given up
}

// deadRecord is a DeadTask as stored.
type deadRecord struct {
	Envelope string `json:"e"`
	Error    string `json:"err"`
	Attempts int    `json:"n"`
	Died     int64  `json:"died"`
}

// DefaultDeadTasksLimit is how many tasks DeadTasks returns when its limit
// is zero or negative.
const DefaultDeadTasksLimit = 100

// DeadTasks returns up to limit tasks of the dead letter set of queue,
// newest first. A limit of zero or less means DefaultDeadTasksLimit, so
// that a forgotten limit never loads a whole dead letter set into memory.
func (a *App) DeadTasks(ctx context.Context, queue string, limit int) ([]DeadTask, error) {
	if limit <= 0 {
		limit = DefaultDeadTasksLimit
	}
	k := queueKeys(a.cfg.Prefix, queue)
	ids, err := a.rdb.ZRevRange(ctx, k.dead, 0, int64(limit)-1).Result()
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	recs, err := a.rdb.HMGet(ctx, k.deadSet, ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("tenantgen: dead tasks of queue %q: %w", queue, err)
	}
	var list []DeadTask
	for i, r := range recs {
		s, ok := r.(string)
		if !ok {
			continue // trimmed meanwhile
		}
		var rec deadRecord
		if err := json.Unmarshal([]byte(s), &rec); err != nil {
			return nil, fmt.Errorf("tenantgen: dead task %s: %w", ids[i], err)
		}
		d := DeadTask{ID: TaskID(ids[i]), Queue: queue, Attempts: rec.Attempts, Error: rec.Error, Died: unixMilli(rec.Died), Args: []byte(rec.Envelope)}
		if env, err := decodeEnvelope(rec.Envelope); err == nil {
			d.Name, d.Tenant, d.Args, d.Enqueued = env.Name, env.Tenant, env.Args, unixMilli(env.Enqueued)
		}
		list = append(list, d)
	}
	return list, nil
}

// RequeueDead moves the dead task id of queue back to its queue, with a
// fresh set of retries.
func (a *App) RequeueDead(ctx context.Context, queue string, id TaskID) error {
	k := queueKeys(a.cfg.Prefix, queue)
	s, err := a.rdb.HGet(ctx, k.deadSet, string(id)).Result()
	if errors.Is(err, redis.Nil) {
		return fmt.Errorf("tenantgen: no dead task %s in queue %q", id, queue)
	} else if err != nil {
		return fmt.Errorf("tenantgen: requeue dead task %s: %w", id, err)
	}
	var rec deadRecord
	if err := json.Unmarshal([]byte(s), &rec); err != nil {
		return fmt.Errorf("tenantgen: requeue dead task %s: %w", id, err)
	}
	env, err := decodeEnvelope(rec.Envelope)
	if err != nil {
		return fmt.Errorf("tenantgen: requeue dead task %s: %w", id, err)
	}
	env.Attempt, env.Error, env.Deadline = 0, "", 0
	data, err := env.encode()
	if err != nil {
		return err
	}
	n, err := requeueDeadScript.Run(ctx, a.rdb, []string{k.dead, k.deadSet, k.stream}, string(id), data).Int()
	switch {
	case err != nil:
		return fmt.Errorf("tenantgen: requeue dead task %s: %w", id, err)
	case n == 0:
		return fmt.Errorf("tenantgen: no dead task %s in queue %q", id, queue)
	}
	return nil
}

func isNoGroup(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "NOGROUP") }
