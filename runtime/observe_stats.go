package runtime

import (
	"context"
	"time"
)

// OldestReady returns when the oldest ready task of queue became due (its
// enqueue, or the time it was delayed to or retried at), or the zero time
// when no task is ready; its age is how far the queue lags. It samples: it
// reads the head task of at most 32 lanes of each kind per partition in
// one round trip, whatever the backlog: those next in turn, those at their
// concurrency cap and those over their rate (paused tenants are left out:
// their tasks wait by design). It is exact while a partition has no more
// lanes of a kind than that, and an estimate beyond, cheap enough for
// every metrics scrape. The queue gauge of oteltenantgen, the Inspector's
// QueueInfo.OldestReady, the dashboard and tenantctl all report this one
// reading (docs/queue.md, "The oldest ready task").
func (a *App) OldestReady(ctx context.Context, queue string) (time.Time, error) {
	return a.engine.OldestReady(ctx, queue)
}
