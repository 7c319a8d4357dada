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
// task cancels the task's context with errCancelled as its cause; the task
// then goes to the dead letter set, not retried. Pub/sub reaches every node
// of a Redis Cluster, so the channel needs no hash tag.

// cancelChannel names the channel of cancel requests.
func cancelChannel(prefix string) string { return prefix + ":cancel" }

// ErrCancelled is the cause of the context of a task cancelled through the
// Inspector, and the start of the error recorded with it.
var ErrCancelled = errors.New("tenantgen: task cancelled through the Inspector")

// earlyTTL is how long a worker remembers a cancel request for a task it
// does not run: the task may be read but not started yet.
const earlyTTL = time.Minute

// cancels holds the cancel functions of a worker's running tasks.
type cancels struct {
	mu      sync.Mutex
	running map[string]context.CancelCauseFunc // by task ID
	early   map[string]time.Time               // requests for tasks not running here, by task ID
}

// track returns the context of an attempt of task id under parent, which a
// cancel request for the task cancels, and the function that ends it.
func (c *cancels) track(parent context.Context, id string) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	c.mu.Lock()
	if _, ok := c.early[id]; ok {
		delete(c.early, id)
		cancel(ErrCancelled)
	}
	c.running[id] = cancel
	c.mu.Unlock()
	return ctx, func() {
		c.mu.Lock()
		delete(c.running, id)
		c.mu.Unlock()
		cancel(nil)
	}
}

// request cancels task id if it runs here, else remembers the request for
// a while, and reports whether it ran here.
func (c *cancels) request(id string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cancel, ok := c.running[id]; ok {
		cancel(ErrCancelled)
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
