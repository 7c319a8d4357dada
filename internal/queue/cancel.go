package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cancelling a running task: the Inspector publishes "<queue> <task ID>" on
// the cancel channel, every worker listens on it, and the one running the
// task cancels the task's context; the task then goes to the dead letter
// set, not retried. The worker cancels the attempt's own context (the one
// with its timeout), so that tracking a task costs no context of its own. Pub/sub reaches every node
// of a Redis Cluster, so the channel needs no hash tag.

// cancelChannel names the channel of cancel requests.
func cancelChannel(prefix string) string { return prefix + ":cancel" }

// cancelKey names the sorted set of a queue's cancel requests, under the
// hash tag of its partition 0: task ID, scored by when the request expires
// (Unix ms). Pub/Sub loses a message that a worker's subscription misses
// (while it reconnects); each heartbeat looks up the worker's running tasks
// here too, so that a request reaches its task within a Heartbeat.
func (k keys) cancelKey() string { return k.base + "cx" }

// cancelTTL is how long a cancel request is kept for heartbeats.
const cancelTTL = 10 * time.Minute

// ErrCancelled starts the error recorded with a task cancelled through the
// Inspector.
var ErrCancelled = errors.New("tenantgen: task cancelled through the Inspector")

// cancels holds the cancel functions of a worker's running tasks.
//
// A worker keeps no message for a task it does not run: a task that it has
// read but not started yet is cancelled by the next heartbeat's lookup in
// the cancel requests. A remembered message would outlive its request and
// cancel the task again once the Inspector requeued it under the same ID.
type cancels struct {
	mu        sync.Mutex
	running   map[string]*cancelled // by task ID
	available []*cancelled          // free records, so that tracking a task allocates nothing
	runs      uint64                // attempts tracked so far, numbering them
}

// cancelled is a running task's queue and cancel function, and whether
// the Inspector asked for it.
type cancelled struct {
	queue     string
	run       uint64 // which attempt of the worker's it is
	cancel    context.CancelFunc
	requested bool
}

// track records that task id of queue runs with a context that cancel
// cancels.
func (c *cancels) track(queue, id string, cancel context.CancelFunc) {
	c.mu.Lock()
	var r *cancelled
	if n := len(c.available); n > 0 {
		r, c.available = c.available[n-1], c.available[:n-1]
	} else {
		r = new(cancelled)
	}
	c.runs++
	r.queue, r.run, r.cancel, r.requested = queue, c.runs, cancel, false
	c.running[id] = r
	c.mu.Unlock()
}

// untrack forgets task id, and reports whether the Inspector cancelled it.
func (c *cancels) untrack(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.running[id]
	if !ok {
		return false
	}
	delete(c.running, id)
	requested := r.requested
	r.cancel = nil
	c.available = append(c.available, r)
	return requested
}

// request cancels task id if it runs here, and reports whether it did. A
// run other than 0 must be the attempt's: a heartbeat's lookup, read
// before a settled attempt's request was forgotten, must not cancel the
// next attempt of a task that was requeued meanwhile.
func (c *cancels) request(id string, run uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.running[id]
	if !ok || (run != 0 && r.run != run) {
		return false
	}
	r.requested = true
	r.cancel()
	return true
}

// cancelListener receives cancel requests until ctx is cancelled.
func (w *Worker) cancelListener(ctx context.Context) {
	sub := w.rdb.Subscribe(ctx, cancelChannel(w.cfg.Prefix))
	defer sub.Close()
	ch := sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			queue, id, found := strings.Cut(m.Payload, " ")
			if !found || w.insp.tallies[queue] == nil {
				continue // not a queue of this worker
			}
			if w.insp.cancels.request(id, 0) {
				w.log.Info("task cancelled through the Inspector", "queue", queue, "task_id", id)
			}
		}
	}
}

// byQueue returns the IDs of the running tasks and the numbers of their
// attempts (see request), by queue.
func (c *cancels) byQueue() map[string]*cancelCheck {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]*cancelCheck{}
	for id, r := range c.running {
		cc := out[r.queue]
		if cc == nil {
			cc = &cancelCheck{queue: r.queue}
			out[r.queue] = cc
		}
		cc.ids, cc.runs = append(cc.ids, id), append(cc.runs, r.run)
	}
	return out
}

// cancelCheck is a heartbeat's lookup of running tasks in a queue's cancel
// requests.
type cancelCheck struct {
	queue string
	ids   []string
	runs  []uint64 // of the attempts, by index of ids
	cmd   *redis.FloatSliceCmd
}

// cancelChecks queues in pipe the lookups of this worker's running tasks
// in their queues' cancel requests.
func (w *Worker) cancelChecks(ctx context.Context, pipe redis.Pipeliner) []*cancelCheck {
	var checks []*cancelCheck
	for q, c := range w.insp.cancels.byQueue() {
		c.cmd = pipe.ZMScore(ctx, queueKeys(w.cfg.Prefix, q, 0).cancelKey(), c.ids...)
		checks = append(checks, c)
	}
	return checks
}

// applyCancelChecks cancels the running tasks that the lookups found.
func (w *Worker) applyCancelChecks(checks []*cancelCheck, now time.Time) {
	for _, c := range checks {
		for i, score := range c.cmd.Val() {
			if score > float64(now.UnixMilli()) && w.insp.cancels.request(c.ids[i], c.runs[i]) {
				w.log.Info("task cancelled through the Inspector", "queue", c.queue, "task_id", c.ids[i])
			}
		}
	}
}

// cancelDone forgets the cancel request of task id of queue, once the task
// is settled: a requeued task of the same ID must not be cancelled again.
func (w *Worker) cancelDone(queue, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.rdb.ZRem(ctx, queueKeys(w.cfg.Prefix, queue, 0).cancelKey(), id).Err(); err != nil {
		w.log.Warn("forget a cancel request; it expires on its own", "queue", queue, "task_id", id, "err", err)
	}
}

// CancelRunning asks the workers to cancel task id of queue: it records the
// request for the workers' heartbeats and publishes it, and returns how
// many workers received the message (on Redis Cluster, of the node it was
// published on).
func (c *Client) CancelRunning(ctx context.Context, queue, id string) (int64, error) {
	k := queueKeys(c.cfg.Prefix, queue, 0)
	now := time.Now()
	pipe := c.rdb.Pipeline()
	pipe.ZRemRangeByScore(ctx, k.cancelKey(), "-inf", strconv.FormatInt(now.UnixMilli(), 10))
	pipe.ZAdd(ctx, k.cancelKey(), redis.Z{Score: float64(now.Add(cancelTTL).UnixMilli()), Member: id})
	pub := pipe.Publish(ctx, cancelChannel(c.cfg.Prefix), queue+" "+id)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("tenantgen: cancel task %q of queue %q: %w", id, queue, err)
	}
	return pub.Val(), nil
}

// ForgetCancel drops a cancel request for task id of queue, so that a
// task requeued with the same ID is not cancelled by it.
func (c *Client) ForgetCancel(ctx context.Context, queue, id string) error {
	return c.rdb.ZRem(ctx, queueKeys(c.cfg.Prefix, queue, 0).cancelKey(), id).Err()
}
