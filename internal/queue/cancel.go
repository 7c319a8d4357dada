package queue

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
)

// Cancelling a running task: the Inspector publishes "<queue> <task ID>" on
// the cancel channel, every worker listens on it, and the one running the
// task cancels the task's context; the task then goes to the dead letter
// set, not retried. The worker cancels the attempt's own context (the one
// with its timeout), so that tracking a task costs no context of its own. Pub/sub reaches every node
// of a Redis Cluster, so the channel needs no hash tag.

// cancelChannel names the channel of cancel requests.
func cancelChannel(prefix string) string { return prefix + ":cancel" }

// ErrCancelled starts the error recorded with a task cancelled through the
// Inspector.
var ErrCancelled = errors.New("tenantgen: task cancelled through the Inspector")

// earlyTTL is how long a worker remembers a cancel request for a task it
// does not run: the task may be read but not started yet.
const earlyTTL = time.Minute

// cancels holds the cancel functions of a worker's running tasks.
type cancels struct {
	mu        sync.Mutex
	running   map[string]*cancelled // by task ID
	early     map[string]time.Time  // requests for tasks not running here, by task ID
	available []*cancelled          // free records, so that tracking a task allocates nothing
}

// cancelled is a running task's cancel function and whether the Inspector
// asked for it.
type cancelled struct {
	cancel    context.CancelFunc
	requested bool
}

// track records that task id runs with a context that cancel cancels.
func (c *cancels) track(id string, cancel context.CancelFunc) {
	c.mu.Lock()
	var r *cancelled
	if n := len(c.available); n > 0 {
		r, c.available = c.available[n-1], c.available[:n-1]
	} else {
		r = new(cancelled)
	}
	r.cancel, r.requested = cancel, false
	if _, ok := c.early[id]; ok {
		delete(c.early, id)
		r.requested = true
		cancel()
	}
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

// request cancels task id if it runs here, else remembers the request for
// a while, and reports whether it ran here.
func (c *cancels) request(id string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.running[id]; ok {
		r.requested = true
		r.cancel()
		return true
	}
	for k, at := range c.early {
		if now.Sub(at) > earlyTTL {
			delete(c.early, k)
		}
	}
	if len(c.early) < 10000 {
		c.early[id] = now
	}
	return false
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
			if w.insp.cancels.request(id, time.Now()) {
				w.log.Info("task cancelled through the Inspector", "queue", queue, "task_id", id)
			}
		}
	}
}

// CancelRunning asks the workers to cancel task id of queue, and returns
// how many received the request (on Redis Cluster, of the node it was
// published on).
func (c *Client) CancelRunning(ctx context.Context, queue, id string) (int64, error) {
	return c.rdb.Publish(ctx, cancelChannel(c.cfg.Prefix), queue+" "+id).Result()
}
