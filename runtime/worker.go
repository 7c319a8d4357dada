package runtime

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// blockTimeout bounds one blocking read. A read returns as soon as a task
// arrives; the bound only sets how soon an idle fetcher notices shutdown.
const blockTimeout = 500 * time.Millisecond

// forwardBatch is how many due delayed tasks one script call moves.
const forwardBatch = 500

// forwardIdle bounds how long the forwarder sleeps when it knows of no due
// task: delayed tasks enqueued by other processes are noticed within it.
const forwardIdle = 250 * time.Millisecond

// Run works the queues of Config.Queues until ctx is cancelled, then shuts
// down gracefully (see Config.ShutdownGrace). It returns nil after a clean
// shutdown.
func (a *App) Run(ctx context.Context) error {
	if a.cfg.Registry == nil {
		return errors.New("runtime: Run needs Config.Registry: register the tasks to work, e.g. with the generated RegisterTasks")
	}
	w := newWorker(a)
	return w.run(ctx)
}

// delivery is a stream entry delivered to this worker.
type delivery struct {
	queue      string
	entry      string // stream entry ID
	data       string // encoded envelope
	interrupts int
}

type worker struct {
	app     *App
	cfg     Config
	id      string // consumer name and liveness key suffix
	log     *slog.Logger
	handler Handler
	queues  []string // by descending priority
	keys    map[string]keys

	tokens   chan struct{}            // one per free execution slot
	queueUse map[string]*atomic.Int64 // running tasks of capped queues
	freed    chan struct{}            // signalled when a task finishes
	work     chan *delivery
	acks     chan *delivery
	poke     chan struct{} // wakes the forwarders

	taskCtx     context.Context // parent of every task's context
	cancelTasks context.CancelFunc
	stopping    atomic.Bool
}

func newWorker(a *App) *worker {
	host, _ := os.Hostname()
	w := &worker{
		app:      a,
		cfg:      a.cfg,
		id:       fmt.Sprintf("%s-%d-%s", host, os.Getpid(), newTaskID()[:6]),
		keys:     make(map[string]keys),
		tokens:   make(chan struct{}, a.cfg.Concurrency),
		queueUse: make(map[string]*atomic.Int64),
		freed:    make(chan struct{}, 1),
		work:     make(chan *delivery),
		acks:     make(chan *delivery, a.cfg.Concurrency*4),
		poke:     make(chan struct{}, 1),
	}
	w.log = a.cfg.Logger.With("worker", w.id)
	for q := range a.cfg.Queues {
		w.queues = append(w.queues, q)
		w.keys[q] = queueKeys(a.cfg.Prefix, q)
	}
	slices.SortFunc(w.queues, func(x, y string) int {
		return cmp.Or(cmp.Compare(a.cfg.Queues[y], a.cfg.Queues[x]), cmp.Compare(x, y))
	})
	for q := range a.cfg.QueueConcurrency {
		w.queueUse[q] = new(atomic.Int64)
	}
	for range a.cfg.Concurrency {
		w.tokens <- struct{}{}
	}
	var h Handler = HandlerFunc(runJob)
	for i := len(a.cfg.Middleware) - 1; i >= 0; i-- {
		h = a.cfg.Middleware[i](h)
	}
	w.handler = h
	return w
}

func (w *worker) run(ctx context.Context) error {
	rdb := w.app.rdb
	for _, q := range w.queues {
		err := rdb.XGroupCreateMkStream(ctx, w.keys[q].stream, group, "0").Err()
		if err != nil && !isBusyGroup(err) {
			return fmt.Errorf("runtime: create consumer group of queue %q: %w", q, err)
		}
	}
	if err := w.beat(ctx); err != nil {
		return fmt.Errorf("runtime: register worker: %w", err)
	}
	w.log.Info("worker started", "queues", w.queues, "concurrency", w.cfg.Concurrency)

	w.taskCtx, w.cancelTasks = context.WithCancel(context.WithoutCancel(ctx))
	defer w.cancelTasks()

	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var bgWG sync.WaitGroup
	bgWG.Go(func() { w.heartbeats(bg) })
	bgWG.Go(func() { w.reclaimer(bg) })
	for _, q := range w.queues {
		bgWG.Go(func() { w.forwarder(bg, q) })
	}
	var completerWG sync.WaitGroup
	completerWG.Go(w.completer)

	var handlers sync.WaitGroup
	for range w.cfg.Concurrency {
		handlers.Go(func() {
			for d := range w.work {
				w.process(d)
			}
		})
	}

	w.fetch(ctx) // returns when ctx is cancelled
	w.stopping.Store(true)
	close(w.work)

	err := w.drain(&handlers)
	close(w.acks)
	completerWG.Wait()
	stopBG()
	bgWG.Wait()

	cleanup := context.WithoutCancel(ctx)
	if derr := rdb.Del(cleanup, workerKey(w.cfg.Prefix, w.id)).Err(); derr != nil {
		w.log.Warn("remove worker liveness key", "err", derr)
	}
	if err == nil {
		for _, q := range w.queues {
			rdb.XGroupDelConsumer(cleanup, w.keys[q].stream, group, w.id)
		}
	}
	w.log.Info("worker stopped")
	return err
}

// drain waits for running tasks: up to ShutdownGrace, then it cancels their
// contexts (unfinished tasks are handed back) and waits as long again.
func (w *worker) drain(handlers *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { handlers.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-time.After(w.cfg.ShutdownGrace):
	}
	w.log.Warn("shutdown grace expired; cancelling running tasks", "grace", w.cfg.ShutdownGrace)
	w.cancelTasks()
	select {
	case <-done:
		return nil
	case <-time.After(w.cfg.ShutdownGrace):
		return fmt.Errorf("runtime: tasks still running %v after they were cancelled; they ignore their context and will run again on another worker", w.cfg.ShutdownGrace)
	}
}

// fetch reads tasks from the streams and hands them to the handlers until
// ctx is cancelled. It reads only as many as there are free slots.
func (w *worker) fetch(ctx context.Context) {
	rdb := w.app.rdb
	for {
		n, ok := w.acquire(ctx, 1, true)
		if !ok {
			return
		}
		n += w.take(w.cfg.Concurrency - 1)
		streams, count := w.eligible(n)
		if len(streams) == 0 {
			w.release(n)
			select {
			case <-ctx.Done():
				return
			case <-w.freed:
			}
			continue
		}
		args := &redis.XReadGroupArgs{Group: group, Consumer: w.id, Streams: streams, Count: int64(count), Block: blockTimeout}
		res, err := rdb.XReadGroup(ctx, args).Result()
		if err != nil {
			w.release(n)
			if errors.Is(err, redis.Nil) {
				continue
			}
			if ctx.Err() != nil {
				return
			}
			w.log.Error("read tasks", "err", err)
			w.pause(ctx, time.Second)
			continue
		}
		list := w.order(res)
		if extra := len(list) - n; extra > 0 {
			got, _ := w.acquire(ctx, extra, false)
			n += got
		} else {
			w.release(n - len(list))
		}
		for _, d := range list {
			if u := w.queueUse[d.queue]; u != nil {
				u.Add(1)
			}
			if ctx.Err() != nil {
				w.settle(d, nil, "requeue", "")
				w.done(d)
				continue
			}
			select {
			case w.work <- d:
			case <-ctx.Done():
				w.settle(d, nil, "requeue", "")
				w.done(d)
			}
		}
	}
}

// acquire takes n slots, waiting for them; if stopAtCtx it gives up when
// ctx is cancelled and reports false.
func (w *worker) acquire(ctx context.Context, n int, stopAtCtx bool) (int, bool) {
	for i := range n {
		if stopAtCtx {
			select {
			case <-w.tokens:
			case <-ctx.Done():
				w.release(i)
				return 0, false
			}
		} else {
			<-w.tokens
		}
	}
	return n, true
}

// take takes up to n free slots without waiting.
func (w *worker) take(n int) int {
	for i := range n {
		select {
		case <-w.tokens:
		default:
			return i
		}
	}
	return n
}

func (w *worker) release(n int) {
	for range n {
		w.tokens <- struct{}{}
	}
}

// done frees the slot of a finished delivery.
func (w *worker) done(d *delivery) {
	if u := w.queueUse[d.queue]; u != nil {
		u.Add(-1)
	}
	w.release(1)
	select {
	case w.freed <- struct{}{}:
	default:
	}
}

// eligible returns the XREADGROUP stream arguments for the queues below
// their caps, and the count to read from each so that no cap is exceeded.
func (w *worker) eligible(free int) ([]string, int) {
	var streams []string
	count := free
	for _, q := range w.queues {
		if limit, capped := w.cfg.QueueConcurrency[q]; capped {
			left := limit - int(w.queueUse[q].Load())
			if left <= 0 {
				continue
			}
			count = min(count, left)
		}
		streams = append(streams, w.keys[q].stream)
	}
	for range len(streams) {
		streams = append(streams, ">")
	}
	return streams, count
}

// order flattens a read result into deliveries in the order to start them:
// by priority, strictly or weighted at random.
func (w *worker) order(res []redis.XStream) []*delivery {
	queueOf := make(map[string]string, len(w.keys))
	for q, k := range w.keys {
		queueOf[k.stream] = q
	}
	var list []*delivery
	weight := make(map[*delivery]float64)
	for _, s := range res {
		q := queueOf[s.Stream]
		for _, m := range s.Messages {
			d := &delivery{queue: q, entry: m.ID}
			d.data, _ = m.Values[fieldEnvelope].(string)
			if s, ok := m.Values[fieldInterrupts].(string); ok {
				d.interrupts, _ = strconv.Atoi(s)
			}
			list = append(list, d)
			p := float64(w.cfg.Queues[q])
			if w.cfg.StrictPriority {
				weight[d] = p
			} else {
				weight[d] = rand.Float64() * p
			}
		}
	}
	if len(res) > 1 {
		slices.SortStableFunc(list, func(x, y *delivery) int { return cmp.Compare(weight[y], weight[x]) })
	}
	return list
}

// process runs one delivery and settles it.
func (w *worker) process(d *delivery) {
	defer w.done(d)
	if w.stopping.Load() {
		w.settle(d, nil, "requeue", "")
		return
	}
	env, err := decodeEnvelope(d.data)
	if err != nil {
		w.log.Error("poison task: moved to the dead letter set", "queue", d.queue, "entry", d.entry, "err", err)
		w.settle(d, nil, "dead", err.Error())
		return
	}
	log := w.log.With("task_id", env.ID, "task", env.Name, "tenant", env.Tenant, "queue", d.queue, "attempt", env.Attempt+1)
	switch {
	case d.interrupts >= w.cfg.MaxInterrupts:
		msg := fmt.Sprintf("%d workers died running this attempt (killed, or out of memory?); see Config.MaxInterrupts", d.interrupts)
		log.Error("task moved to the dead letter set", "err", msg)
		w.settle(d, env, "dead", msg)
		return
	case env.Deadline != 0 && time.Now().UnixMilli() > env.Deadline:
		msg := "deadline " + unixMilli(env.Deadline).UTC().Format(time.RFC3339) + " passed before the task could start"
		log.Error("task moved to the dead letter set", "err", msg)
		w.settle(d, env, "dead", msg)
		return
	}
	def, ok := w.cfg.Registry.Lookup(env.Name)
	if !ok {
		err := fmt.Errorf("task %q is not registered with this worker: add it to Config.Registry (generated RegisterTasks)", env.Name)
		w.fail(d, env, err, log)
		return
	}
	job := &Job{
		ID: env.ID, Name: env.Name, Tenant: env.Tenant, Queue: d.queue, Attempt: env.Attempt + 1,
		Args: env.Args, Headers: env.Headers, EnqueuedAt: unixMilli(env.Enqueued), Spec: def.Spec(), def: def,
	}
	timeout := time.Duration(env.Timeout) * time.Millisecond
	if timeout <= 0 {
		timeout = w.cfg.DefaultTimeout
	}
	start := time.Now()
	err = w.call(job, timeout)
	elapsed := time.Since(start)
	switch {
	case err == nil:
		w.acks <- d
		if log.Enabled(context.Background(), slog.LevelDebug) {
			log.Debug("task done", "duration", elapsed)
		}
	case w.taskCtx.Err() != nil:
		// Shutdown cancelled the task: hand it back without spending a retry.
		log.Warn("task interrupted by shutdown; handed back to the queue", "duration", elapsed, "err", err)
		w.settle(d, env, "requeue", "")
	default:
		w.fail(d, env, err, log.With("duration", elapsed))
	}
}

// call runs job through the middleware and the task, turning a panic into a
// *PanicError.
func (w *worker) call(job *Job, timeout time.Duration) (err error) {
	ctx, cancel := context.WithTimeout(context.WithValue(w.taskCtx, jobKey{}, job), timeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return w.handler.Handle(ctx, job)
}

// runJob is the innermost handler: it decodes the arguments and calls the
// task's function, for the job's tenant.
func runJob(ctx context.Context, job *Job) error {
	if job.Tenant != "" {
		ctx = WithTenant(ctx, job.Tenant)
	}
	return job.def.Run(ctx, job.Args)
}

// fail settles a failed attempt: a retry after a backoff, or the dead letter
// set when retries are exhausted or the error is permanent.
func (w *worker) fail(d *delivery, env *envelope, err error, log *slog.Logger) {
	env.Attempt++
	env.Error = err.Error()
	if IsPermanent(err) || env.Attempt > env.Retries {
		log.Error("task failed; moved to the dead letter set", "err", err, "attempts", env.Attempt)
		w.settle(d, env, "dead", err.Error())
		return
	}
	wait := w.cfg.Backoff(env.Attempt)
	log.Warn("task failed; will retry", "err", err, "retry_in", wait)
	w.settle(d, env, "retry", strconv.FormatInt(time.Now().Add(wait).UnixMilli(), 10))
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

// settle runs settleScript for d. For "retry" arg is the due time, for
// "dead" the error; env may be nil for an undecodable or unstarted task.
func (w *worker) settle(d *delivery, env *envelope, action, arg string) {
	k := w.keys[d.queue]
	now := time.Now().UnixMilli()
	var payload, dueOrID string
	switch action {
	case "retry":
		payload, _ = env.encode()
		dueOrID = arg
	case "requeue":
		payload = d.data
	case "dead":
		rec := deadRecord{Envelope: d.data, Error: arg, Died: now}
		dueOrID = d.entry
		if env != nil {
			rec.Attempts = env.Attempt
			dueOrID = string(env.ID)
		}
		b, _ := json.Marshal(rec)
		payload = string(b)
	}
	maxAge := int64(0)
	if w.cfg.DeadMaxAge > 0 {
		maxAge = w.cfg.DeadMaxAge.Milliseconds()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := settleScript.Run(ctx, w.app.rdb, []string{k.stream, k.delayed, k.dead, k.deadSet},
		group, d.entry, action, payload, dueOrID, now, w.cfg.DeadMaxLen, maxAge).Err()
	if err != nil {
		// The entry stays pending under this worker; if the worker dies it
		// is reclaimed, so the task is not lost.
		w.log.Error("settle task", "action", action, "entry", d.entry, "err", err)
	}
}

// completer acknowledges finished tasks in batches: one pipeline per batch,
// as large as the backlog, so that it adds no delay when idle.
func (w *worker) completer() {
	ctx := context.Background()
	for d := range w.acks {
		batch := map[string][]string{d.queue: {d.entry}}
		n := 1
	drain:
		for n < 1000 {
			select {
			case d, ok := <-w.acks:
				if !ok {
					break drain
				}
				batch[d.queue] = append(batch[d.queue], d.entry)
				n++
			default:
				break drain
			}
		}
		for try := 1; ; try++ {
			pipe := w.app.rdb.Pipeline()
			for q, ids := range batch {
				pipe.XAck(ctx, w.keys[q].stream, group, ids...)
				pipe.XDel(ctx, w.keys[q].stream, ids...)
			}
			_, err := pipe.Exec(ctx)
			if err == nil {
				break
			}
			if try == 5 {
				// Unacknowledged tasks run again after a crash; nothing is lost.
				w.log.Error("acknowledge tasks; giving up", "tasks", n, "err", err)
				break
			}
			w.log.Warn("acknowledge tasks; retrying", "tasks", n, "err", err)
			time.Sleep(time.Duration(try) * 100 * time.Millisecond)
		}
	}
}

// forwarder moves due delayed tasks and retries of queue to its stream,
// sleeping until the next one is due.
func (w *worker) forwarder(ctx context.Context, queue string) {
	k := w.keys[queue]
	for {
		wait := forwardIdle
		res, err := forwardScript.Run(ctx, w.app.rdb, []string{k.delayed, k.stream}, time.Now().UnixMilli(), forwardBatch).Slice()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			w.log.Error("forward delayed tasks", "queue", queue, "err", err)
			wait = time.Second
		default:
			moved, _ := res[0].(int64)
			if moved == forwardBatch {
				continue
			}
			if next, ok := res[1].(string); ok {
				if ms, err := strconv.ParseFloat(next, 64); err == nil {
					wait = min(wait, max(time.Until(time.UnixMilli(int64(ms))), time.Millisecond))
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-w.poke:
		case <-time.After(wait):
		}
	}
}

// beat refreshes this worker's liveness key.
func (w *worker) beat(ctx context.Context) error {
	return w.app.rdb.Set(ctx, workerKey(w.cfg.Prefix, w.id), time.Now().UnixMilli(), w.cfg.WorkerTTL).Err()
}

func (w *worker) heartbeats(ctx context.Context) {
	t := time.NewTicker(w.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := w.beat(ctx); err != nil && ctx.Err() == nil {
				w.log.Error("heartbeat", "err", err)
			}
		}
	}
}

// reclaimer puts the tasks of dead workers back on their streams.
func (w *worker) reclaimer(ctx context.Context) {
	t := time.NewTicker(w.cfg.Heartbeat)
	defer t.Stop()
	for {
		for _, q := range w.queues {
			if err := w.reclaim(ctx, q); err != nil && ctx.Err() == nil {
				w.log.Error("reclaim tasks of dead workers", "queue", q, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (w *worker) reclaim(ctx context.Context, queue string) error {
	rdb := w.app.rdb
	stream := w.keys[queue].stream
	consumers, err := rdb.XInfoConsumers(ctx, stream, group).Result()
	if err != nil {
		return err
	}
	for _, c := range consumers {
		if c.Name == w.id {
			continue
		}
		alive, err := rdb.Exists(ctx, workerKey(w.cfg.Prefix, c.Name)).Result()
		if err != nil {
			return err
		}
		if alive == 1 {
			continue
		}
		if c.Pending == 0 {
			rdb.XGroupDelConsumer(ctx, stream, group, c.Name)
			continue
		}
		pending, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: group, Start: "-", End: "+", Count: 1000, Consumer: c.Name}).Result()
		if err != nil {
			return err
		}
		args := []any{group, w.id, w.cfg.Heartbeat.Milliseconds()}
		for _, p := range pending {
			args = append(args, p.ID)
		}
		n, err := reclaimScript.Run(ctx, rdb, []string{stream}, args...).Int()
		if err != nil {
			return err
		}
		w.log.Warn("reclaimed the tasks of a dead worker", "queue", queue, "dead_worker", c.Name, "tasks", n)
		select {
		case w.freed <- struct{}{}:
		default:
		}
	}
	return nil
}

// pause waits for d or until ctx is cancelled.
func (w *worker) pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func isBusyGroup(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "BUSYGROUP") }
