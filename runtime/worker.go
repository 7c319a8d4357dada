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
	goruntime "runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/jobctx"
)

// blockTimeout bounds one blocking read. A read returns as soon as a task
// arrives, and at once when Run's ctx is cancelled (see blocker); the bound
// sets how often an idle fetcher reads again.
const blockTimeout = 500 * time.Millisecond

// cappedBlockTimeout bounds a blocking read that leaves out a queue at its
// QueueConcurrency cap, so that the queue's next task starts soon after a
// slot of it frees.
const cappedBlockTimeout = 10 * time.Millisecond

// forwardBatch is how many due delayed tasks one script call moves.
const forwardBatch = 500

// forwardIdle bounds how long the forwarder sleeps when it knows of no due
// task: delayed tasks enqueued by other processes are noticed within it.
const forwardIdle = 250 * time.Millisecond

// Run works the queues of Config.Queues until ctx is cancelled, then shuts
// down gracefully (see Config.ShutdownGrace). It returns nil after a clean
// shutdown. When there is anything to schedule (Config.Schedule, or a
// registered task with a cron spec), it also runs a Scheduler.
func (a *App) Run(ctx context.Context) error {
	if a.cfg.Registry == nil {
		return errors.New("tenantgen: Run needs Config.Registry: register the tasks to work, e.g. with the generated RegisterTasks")
	}
	stopScheduler, err := a.startScheduler(ctx)
	if err != nil {
		return err
	}
	defer stopScheduler()
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
	queueOf map[string]string // stream key to queue

	readStreams []string // XREADGROUP STREAMS arguments for all queues

	// Blocking reads (see read.go): one blocker for all streams, under
	// the key "", or on Redis Cluster (cluster) one per stream key.
	cluster  bool
	blockers map[string]*blocker

	tokens   chan struct{}            // one per free execution slot
	queueUse map[string]*atomic.Int64 // running tasks of capped queues
	freed    chan struct{}            // signalled when a task finishes
	work     chan *delivery
	poke     chan struct{} // wakes the forwarders

	// Finished tasks wait in acks to be acknowledged. Under load the
	// fetcher acknowledges them in the same round trip as its next read;
	// while it waits (blocking read, pause, gone) the completer does,
	// woken by ackWake, so that no ack waits for the next task.
	ackMu     sync.Mutex
	acks      []*delivery
	ackByRead bool          // the fetcher will take acks with its next read
	ackClosed bool          // the completer has stopped: ack synchronously
	ackWake   chan struct{} // wakes the completer
	ackStop   chan struct{} // closed to stop the completer

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
		queueOf:  make(map[string]string),
		tokens:   make(chan struct{}, a.cfg.Concurrency),
		queueUse: make(map[string]*atomic.Int64),
		freed:    make(chan struct{}, 1),
		work:     make(chan *delivery, a.cfg.Concurrency), // never full: a delivery in it holds a slot
		ackWake:  make(chan struct{}, 1),
		ackStop:  make(chan struct{}),
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
	for _, q := range w.queues {
		w.queueOf[w.keys[q].stream] = q
		w.readStreams = append(w.readStreams, w.keys[q].stream)
	}
	for range w.queues {
		w.readStreams = append(w.readStreams, ">")
	}
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
	// Tenancy goes first: middleware runs with the tenant resolved, its
	// databases switched, and TaskTenant set.
	w.handler = a.Tenancy(h)
	return w
}

func (w *worker) run(ctx context.Context) error {
	rdb := w.app.rdb
	for _, q := range w.queues {
		err := rdb.XGroupCreateMkStream(ctx, w.keys[q].stream, group, "0").Err()
		if err != nil && !isBusyGroup(err) {
			return fmt.Errorf("tenantgen: create consumer group of queue %q: %w", q, err)
		}
	}
	if err := w.beat(ctx); err != nil {
		return fmt.Errorf("tenantgen: register worker: %w", err)
	}
	w.setupReaders()
	if w.app.cache != nil {
		unwatch, err := w.app.watchTenants(ctx)
		if err != nil {
			return err
		}
		defer unwatch()
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
	w.closeReaders()
	w.stopping.Store(true)
	close(w.work)

	err := w.drain(&handlers)
	w.stopAcks()
	completerWG.Wait()
	stopBG()
	bgWG.Wait()

	cleanup := context.WithoutCancel(ctx)
	if derr := rdb.Del(cleanup, workerKey(w.cfg.Prefix, w.id)).Err(); derr != nil {
		w.log.Warn("remove worker liveness key", "err", derr)
	}
	for _, q := range w.queues {
		// Tasks still running, or whose acknowledgement failed, keep this
		// worker's consumer: other workers reclaim them.
		w.dropConsumer(cleanup, q, w.id)
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
		return fmt.Errorf("tenantgen: tasks still running %v after they were cancelled; they ignore their context and will run again on another worker", w.cfg.ShutdownGrace)
	}
}

// fetch reads tasks from the streams and hands them to the handlers until
// ctx is cancelled. It reads only as many as there are free slots, and
// acknowledges the tasks finished since its last read in the same round
// trip.
func (w *worker) fetch(ctx context.Context) {
	defer w.ackByCompleter() // from now on, the completer acknowledges
	// A first read that does not wait honours StrictPriority for the
	// backlog.
	wait := false
	for {
		n := w.take(w.cfg.Concurrency)
		if n == 0 {
			// Every slot is busy. The acks of the tasks that finish
			// meanwhile go with the read that their freed slots start.
			if !w.acquire(ctx) {
				return
			}
			n = 1 + w.take(w.cfg.Concurrency-1)
		}
		// A read costs a round trip whatever its count. While yielding
		// lets running handlers free slots (short tasks finishing), take
		// them, to read for them all at once.
		for n < w.cfg.Concurrency {
			goruntime.Gosched()
			got := w.take(w.cfg.Concurrency - n)
			if got == 0 {
				break
			}
			n += got
		}
		streams, count, block := w.eligible(n)
		if len(streams) == 0 {
			w.release(n)
			select {
			case <-ctx.Done():
				return
			case <-w.freed:
			}
			continue
		}
		res, err := w.read(ctx, streams, count, wait, block)
		if err != nil {
			w.release(n)
			if errors.Is(err, redis.Nil) {
				wait = true // nothing ready: wait for tasks
				continue
			}
			if ctx.Err() != nil {
				return
			}
			w.log.Error("read tasks", "err", err)
			w.ackByCompleter()
			w.pause(ctx, time.Second)
			continue
		}
		list := w.order(res)
		// A read that got all it asked for may have left more: the next
		// one does not wait. One that got less emptied the streams.
		wait = len(list) < count
		if len(list) < n {
			w.release(n - len(list))
		}
		for i, d := range list {
			if u := w.queueUse[d.queue]; u != nil {
				u.Add(1)
			}
			// Reading several streams can return more tasks than free
			// slots: start the first at once, and each extra one when a
			// running task frees its slot.
			started := i < n || w.take(1) == 1
			if !started {
				// The slot freed for this task will start no read: let the
				// completer acknowledge the tasks that finish from now on.
				w.ackByCompleter()
				started = w.acquire(ctx)
			}
			if !started || ctx.Err() != nil {
				w.settle(d, nil, "requeue", "")
				w.done(d, started)
				continue
			}
			select {
			case w.work <- d:
			case <-ctx.Done():
				w.settle(d, nil, "requeue", "")
				w.done(d, true)
			}
		}
	}
}

// read acknowledges the tasks finished so far and reads up to count tasks
// from streams, in one round trip. If wait, and it has nothing to
// acknowledge, it blocks until tasks arrive or for up to block;
// otherwise it returns at once. Not waiting while the streams have tasks
// lets the tasks that finish meanwhile be acknowledged by the next read.
//
// With StrictPriority and several streams, a read that does not wait reads
// the streams in turn, highest priority first, until it has count tasks, so
// that no lower-priority task is taken while higher ones are ready.
func (w *worker) read(ctx context.Context, streams []string, count int, wait bool, block time.Duration) ([]redis.XStream, error) {
	w.ackMu.Lock()
	acks := w.acks
	w.acks = nil
	wait = wait && len(acks) == 0
	w.ackByRead = !wait
	w.ackMu.Unlock()
	if wait {
		// The completer acknowledges what finishes while this read waits.
		res, err := w.readBlocking(ctx, streams, count, block)
		w.ackMu.Lock()
		w.ackByRead = true
		w.ackMu.Unlock()
		return res, err
	}
	queues := len(streams) / 2
	if !w.cfg.StrictPriority || queues == 1 {
		return w.readNow(ctx, acks, streams, count)
	}
	var all []redis.XStream
	for i := 0; i < queues && count > 0; i++ {
		res, err := w.readNow(ctx, acks, []string{streams[i], ">"}, count)
		acks = nil
		if err != nil && !errors.Is(err, redis.Nil) {
			if len(all) > 0 {
				break // return the tasks read; the next read meets the error again
			}
			return nil, err
		}
		for _, s := range res {
			all = append(all, s)
			count -= len(s.Messages)
		}
	}
	if len(all) == 0 {
		return nil, redis.Nil
	}
	return all, nil
}

// readNow reads up to count tasks from streams without waiting, and
// acknowledges acks in the same round trip.
func (w *worker) readNow(ctx context.Context, acks []*delivery, streams []string, count int) ([]redis.XStream, error) {
	if w.cluster && len(streams) > 2 {
		return w.readEach(ctx, acks, streams, count) // one stream per command
	}
	args := &redis.XReadGroupArgs{Group: group, Consumer: w.id, Streams: streams, Count: int64(count), Block: -1}
	if len(acks) == 0 {
		return w.app.rdb.XReadGroup(ctx, args).Result()
	}
	pipe := w.app.rdb.Pipeline()
	ackCmds := w.queueAcks(ctx, pipe, acks)
	read := pipe.XReadGroup(ctx, args)
	pipe.Exec(ctx)
	for _, c := range ackCmds {
		if c.Err() != nil {
			w.flushAcks(acks) // retries, or gives up and logs
			break
		}
	}
	return read.Result()
}

// acquire takes a slot, waiting for one; it gives up when ctx is cancelled
// and reports false.
func (w *worker) acquire(ctx context.Context) bool {
	select {
	case <-w.tokens:
		return true
	case <-ctx.Done():
		return false
	}
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

// done frees the slot of a finished delivery, and its queue's count; slot
// says whether it held a slot.
func (w *worker) done(d *delivery, slot bool) {
	if u := w.queueUse[d.queue]; u != nil {
		u.Add(-1)
	}
	if slot {
		w.release(1)
	}
	select {
	case w.freed <- struct{}{}:
	default:
	}
}

// eligible returns the XREADGROUP stream arguments for the queues below
// their caps, the count to read from each so that no cap is exceeded, and
// how long a read may block.
func (w *worker) eligible(free int) ([]string, int, time.Duration) {
	if len(w.cfg.QueueConcurrency) == 0 {
		return w.readStreams, free, blockTimeout
	}
	var streams []string
	count := free
	block := blockTimeout
	for _, q := range w.queues {
		if limit, capped := w.cfg.QueueConcurrency[q]; capped {
			left := limit - int(w.queueUse[q].Load())
			if left <= 0 {
				block = cappedBlockTimeout
				continue
			}
			count = min(count, left)
		}
		streams = append(streams, w.keys[q].stream)
	}
	for range len(streams) {
		streams = append(streams, ">")
	}
	return streams, count, block
}

// order flattens a read result into deliveries in the order to start them:
// by priority, strictly or weighted at random.
func (w *worker) order(res []redis.XStream) []*delivery {
	n := 0
	for _, s := range res {
		n += len(s.Messages)
	}
	list := make([]*delivery, 0, n)
	all := make([]delivery, n) // one allocation for the whole read
	for _, s := range res {
		q := w.queueOf[s.Stream]
		for _, m := range s.Messages {
			d := &all[len(list)]
			d.queue, d.entry = q, m.ID
			d.data, _ = m.Values[fieldEnvelope].(string)
			if s, ok := m.Values[fieldInterrupts].(string); ok {
				d.interrupts, _ = strconv.Atoi(s)
			}
			list = append(list, d)
		}
	}
	if len(res) > 1 {
		type weighted struct {
			d *delivery
			w float64
		}
		ws := make([]weighted, len(list))
		for i, d := range list {
			p := float64(w.cfg.Queues[d.queue])
			if !w.cfg.StrictPriority {
				p *= rand.Float64()
			}
			ws[i] = weighted{d, p}
		}
		slices.SortStableFunc(ws, func(x, y weighted) int { return cmp.Compare(y.w, x.w) })
		for i := range ws {
			list[i] = ws[i].d
		}
	}
	return list
}

// process runs one delivery and settles it.
func (w *worker) process(d *delivery) {
	defer w.done(d, true)
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
	if w.app.signer != nil {
		// Before anything trusts the envelope's tenant.
		if err := w.app.signer.verify(env); err != nil {
			w.taskLog(d, env).Error("task refused; moved to the dead letter set", "err", err)
			w.settle(d, env, "dead", err.Error())
			return
		}
	}
	switch {
	case d.interrupts >= w.cfg.MaxInterrupts:
		msg := fmt.Sprintf("%d workers died running this attempt (killed, or out of memory?); see Config.MaxInterrupts", d.interrupts)
		w.taskLog(d, env).Error("task moved to the dead letter set", "err", msg)
		w.settle(d, env, "dead", msg)
		return
	case env.Deadline != 0 && time.Now().UnixMilli() > env.Deadline:
		msg := "deadline " + unixMilli(env.Deadline).UTC().Format(time.RFC3339) + " passed before the task could start"
		w.taskLog(d, env).Error("task moved to the dead letter set", "err", msg)
		w.settle(d, env, "dead", msg)
		return
	}
	def, ok := w.cfg.Registry.Lookup(env.Name)
	if !ok {
		err := fmt.Errorf("task %q is not registered with this worker: add it to Config.Registry (generated RegisterTasks)", env.Name)
		w.fail(d, env, err, w.taskLog(d, env))
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
		w.ack(d)
		if w.log.Enabled(context.Background(), slog.LevelDebug) {
			w.taskLog(d, env).Debug("task done", "duration", elapsed)
		}
	case w.taskCtx.Err() != nil:
		// Shutdown cancelled the task: hand it back without spending a retry.
		w.taskLog(d, env).Warn("task interrupted by shutdown; handed back to the queue", "duration", elapsed, "err", err)
		w.settle(d, env, "requeue", "")
	default:
		w.fail(d, env, err, w.taskLog(d, env).With("duration", elapsed))
	}
}

// taskLog returns the logger for the task of d. It is built only when a
// task logs: slog's With formats its attributes even for disabled levels,
// which would cost every task several allocations.
func (w *worker) taskLog(d *delivery, env *envelope) *slog.Logger {
	return w.log.With("task_id", env.ID, "task", env.Name, "tenant", env.Tenant, "queue", d.queue, "attempt", env.Attempt+1)
}

// call runs job through the middleware and the task, turning a panic into a
// *PanicError.
func (w *worker) call(job *Job, timeout time.Duration) (err error) {
	ctx, cancel := context.WithTimeout(jobctx.With(w.taskCtx, job), timeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return w.handler.Handle(ctx, job)
}

// runJob is the innermost handler: it decodes the arguments and calls the
// task's function.
func runJob(ctx context.Context, job *Job) error {
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
	w.settle(d, env, "retry", strconv.FormatInt(ceilMilli(time.Now().Add(wait)), 10))
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
		if d.interrupts > 0 {
			dueOrID = strconv.Itoa(d.interrupts) // the same attempt: keep its count
		}
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
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := settleScript.Run(ctx, w.app.rdb, []string{k.stream, k.delayed, k.dead, k.deadSet},
		group, d.entry, action, payload, dueOrID, now, w.cfg.DeadMaxLen, w.deadMaxAge()).Err()
	if err != nil {
		// The entry stays pending under this worker; if the worker dies it
		// is reclaimed, so the task is not lost.
		w.log.Error("settle task", "action", action, "entry", d.entry, "err", err)
	}
}

// ack queues the acknowledgement of the successful delivery d.
func (w *worker) ack(d *delivery) {
	w.ackMu.Lock()
	if w.ackClosed {
		// Run has given up waiting for this task; acknowledge it all the
		// same, so that it does not run again.
		w.ackMu.Unlock()
		w.flushAcks([]*delivery{d})
		return
	}
	w.acks = append(w.acks, d)
	wake := !w.ackByRead
	w.ackMu.Unlock()
	if wake {
		select {
		case w.ackWake <- struct{}{}:
		default:
		}
	}
}

// ackByCompleter hands acknowledgements over to the completer, while the
// fetcher pauses or when it has stopped.
func (w *worker) ackByCompleter() {
	w.ackMu.Lock()
	w.ackByRead = false
	w.ackMu.Unlock()
	select {
	case w.ackWake <- struct{}{}:
	default:
	}
}

// stopAcks makes the completer acknowledge what is left and return; later
// acknowledgements are made at once by the task's goroutine.
func (w *worker) stopAcks() {
	w.ackMu.Lock()
	w.ackClosed = true
	w.ackMu.Unlock()
	close(w.ackStop)
}

// completer acknowledges the finished tasks that the fetcher does not take
// with a read: one pipeline for all those pending, so that it adds no delay
// when idle.
func (w *worker) completer() {
	for {
		stop := false
		select {
		case <-w.ackWake:
		case <-w.ackStop:
			stop = true
		}
		w.ackMu.Lock()
		acks := w.acks
		if !w.ackByRead || stop {
			w.acks = nil
		} else {
			acks = nil // the fetcher takes them with its read
		}
		w.ackMu.Unlock()
		if len(acks) > 0 {
			w.flushAcks(acks)
		}
		if stop {
			return
		}
	}
}

// queueAcks queues on pipe the commands that acknowledge and delete the
// entries of acks, one XACK and one XDEL per queue.
func (w *worker) queueAcks(ctx context.Context, pipe redis.Pipeliner, acks []*delivery) []*redis.IntCmd {
	byQueue := make(map[string][]string, 1)
	for _, d := range acks {
		byQueue[d.queue] = append(byQueue[d.queue], d.entry)
	}
	cmds := make([]*redis.IntCmd, 0, 2*len(byQueue))
	for q, ids := range byQueue {
		stream := w.keys[q].stream
		cmds = append(cmds, pipe.XAck(ctx, stream, group, ids...), pipe.XDel(ctx, stream, ids...))
	}
	return cmds
}

// flushAcks acknowledges acks in one pipeline, retrying on errors.
func (w *worker) flushAcks(acks []*delivery) {
	ctx := context.Background()
	n := len(acks)
	for try := 1; ; try++ {
		pipe := w.app.rdb.Pipeline()
		w.queueAcks(ctx, pipe, acks)
		_, err := pipe.Exec(ctx)
		if err == nil {
			return
		}
		if try == 5 || errors.Is(err, redis.ErrClosed) {
			// Unacknowledged tasks run again after a crash; nothing is lost.
			w.log.Error("acknowledge tasks; giving up", "tasks", n, "err", err)
			return
		}
		w.log.Warn("acknowledge tasks; retrying", "tasks", n, "err", err)
		time.Sleep(time.Duration(try) * 100 * time.Millisecond)
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
			w.dropConsumer(ctx, queue, c.Name)
			continue
		}
		pending, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: group, Start: "-", End: "+", Count: 1000, Consumer: c.Name}).Result()
		if err != nil {
			return err
		}
		args := []any{group, w.id, w.cfg.Heartbeat.Milliseconds(), time.Now().UnixMilli(), w.cfg.DeadMaxLen, w.deadMaxAge()}
		for _, p := range pending {
			args = append(args, p.ID)
		}
		k := w.keys[queue]
		n, err := reclaimScript.Run(ctx, rdb, []string{stream, k.dead, k.deadSet}, args...).Int()
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

// deadMaxAge returns Config.DeadMaxAge in ms as the scripts take it: 0 for
// no limit.
func (w *worker) deadMaxAge() int64 {
	if w.cfg.DeadMaxAge > 0 {
		return w.cfg.DeadMaxAge.Milliseconds()
	}
	return 0
}

// dropConsumer deletes the consumer of queue's stream, unless tasks are
// still pending under it.
func (w *worker) dropConsumer(ctx context.Context, queue, consumer string) {
	deleted, err := dropConsumerScript.Run(ctx, w.app.rdb, []string{w.keys[queue].stream}, group, consumer).Int()
	switch {
	case err != nil:
		if ctx.Err() == nil {
			w.log.Warn("remove consumer", "queue", queue, "consumer", consumer, "err", err)
		}
	case deleted == 0 && consumer == w.id:
		w.log.Warn("tasks of this worker are still pending; live workers will reclaim them", "queue", queue)
	}
}

// pause waits for d or until ctx is cancelled.
func (w *worker) pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func isBusyGroup(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "BUSYGROUP") }
