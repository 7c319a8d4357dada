package runtime

import (
	"context"
	"time"
)

// OldestReady returns when the oldest ready task of queue became due (its
// enqueue, or the time it was delayed to or retried at), or the zero time
// when no task is ready; its age is how far the queue lags. It reads the
// head task of at most 32 lanes of each kind per partition in one round
// trip, whatever the backlog: those next in turn, those at their
// concurrency cap and those over their rate (paused tenants are left out).
// It is exact while a queue has no more tenants with ready tasks than
// that, and an estimate beyond, cheap enough for every metrics scrape.
func (a *App) OldestReady(ctx context.Context, queue string) (time.Time, error) {
	return a.engine.OldestReady(ctx, queue)
}
