package queue

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// blockTimeout bounds one blocking read. A read returns as soon as a task
// arrives, and at once when Run's ctx is cancelled (see blocker); the bound
// sets how often an idle fetcher reads again.
const blockTimeout = 500 * time.Millisecond

// cappedBlockTimeout bounds a blocking read that leaves out a queue at its
// QueueConcurrency cap, so that the queue's next task starts soon after a
// slot of it frees.
const cappedBlockTimeout = 10 * time.Millisecond

// Runner runs the tasks that a Worker delivers. Package runtime implements
// it with its Registry and handler chain. The job goes from Prepare to Run
// as an opaque value, so that an attempt costs the Runner one allocation of
// its own job type and nothing more.
type Runner interface {
	// Prepare returns the job of one attempt of the task of env, read from
	// queue, or the error of a task that this worker cannot run at all,
	// such as one whose name is not registered: the attempt then fails
	// without running, and is retried.
	Prepare(env *Envelope, queue string) (Job, error)

	// Run runs job, which Prepare returned. ctx ends at the attempt's
	// timeout, or when shutdown stops waiting for it. A panic must come
	// back as an error that records its value and stack: the worker stores
	// err.Error() as the task's error.
	Run(ctx context.Context, job Job) error
}

// Job is one attempt of a task as a Runner prepared it. The Worker only
// hands it back to the Runner's Run.
type Job any

// delivery is a stream entry delivered to this worker.
type delivery struct {
	queue      string
	p          *part
	entry      string // stream entry ID
	data       string // encoded envelope
	lane       string // the lane it came from; "" for an entry of the old layout
	counted    bool   // it counts against its lane's concurrency cap
	interrupts int
}

// part is one partition of a queue that a Worker works: its keys, and the
// arguments of its fetch script that do not change.
type part struct {
	queue string
	index int
	k     keys
	limit string // the limits record of the queue's tenant lanes by default; "" for none
}

// Worker works the queues of Config.Queues: it reads tasks, runs them
// through a Runner and settles them. Each Worker is one consumer of every
// queue's consumer group; its Run may be called once.
type Worker struct {
	rdb     redis.UniversalClient
	cfg     Config
	signer  *signer // nil: tasks are not verified
	runner  Runner
	id      string // consumer name and liveness key suffix
	log     *slog.Logger
	queues  []string           // by descending priority
	parts   []*part            // of every queue, by descending priority
	partsOf map[string][]*part // by queue

	// Blocking waits for a wake token (see read.go): one blocker for all
	// partitions, under the key "", or on Redis Cluster (cluster) one per
	// wake key.
	cluster  bool
	blockers map[string]*blocker
	waitFor  time.Duration // until the first lane waiting for its rate may start; 0: none

	maxPayload int // what the fetch script dead-letters beyond, bytes

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

	own holding // entries pending under this worker

	ahead aheadMeter // how far fetches read beyond the free slots

	stopping atomic.Bool

	insp inspectState // for the Inspector: counts, status, cancels (history.go)
}

// NewWorker returns a Worker of the queues of c's Config that runs tasks
// with r.
func NewWorker(c *Client, r Runner) *Worker {
	cfg := c.cfg
	w := &Worker{
		rdb:      c.rdb,
		cfg:      cfg,
		signer:   c.signer,
		runner:   r,
		id:       ProcessName(),
		partsOf:  make(map[string][]*part),
		tokens:   make(chan struct{}, cfg.Concurrency),
		queueUse: make(map[string]*atomic.Int64),
		freed:    make(chan struct{}, 1),
		work:     make(chan *delivery, cfg.Concurrency), // never full: a delivery in it holds a slot
		ackWake:  make(chan struct{}, 1),
		ackStop:  make(chan struct{}),
		poke:     make(chan struct{}, 1),

		maxPayload: c.maxPayload(),
		own:        holding{held: make(map[heldKey]struct{})},
	}
	w.log = cfg.Logger.With("worker", w.id)
	for q := range cfg.Queues {
		w.queues = append(w.queues, q)
	}
	slices.SortFunc(w.queues, func(x, y string) int {
		return cmp.Or(cmp.Compare(cfg.Queues[y], cfg.Queues[x]), cmp.Compare(x, y))
	})
	for _, q := range w.queues {
		limit := ""
		if l, ok := cfg.TenantLimits[q]; ok {
			limit = l.record()
		}
		for i := range c.partitions(q) {
			p := &part{queue: q, index: i, k: queueKeys(cfg.Prefix, q, i), limit: limit}
			w.parts = append(w.parts, p)
			w.partsOf[q] = append(w.partsOf[q], p)
		}
	}
	w.insp = newInspectState(w.queues, newWorkerStatus(w.queues, cfg.Concurrency))
	for q := range cfg.QueueConcurrency {
		w.queueUse[q] = new(atomic.Int64)
	}
	for range cfg.Concurrency {
		w.tokens <- struct{}{}
	}
	return w
}
