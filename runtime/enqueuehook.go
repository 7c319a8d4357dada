package runtime

import "context"

// EnqueueFunc enqueues a batch of requests, with the contract of
// App.EnqueueMany: the IDs in request order, and a *BatchError for the
// requests that were not enqueued.
type EnqueueFunc func(ctx context.Context, reqs []Request) ([]TaskID, error)

// EnqueueMiddleware wraps every enqueue of an App: Enqueue, EnqueueMany,
// EnqueueEachTenant, the scheduler's ticks and transactional enqueues. It
// sees whole batches, so that telemetry can record one span and one count
// per batch, and may change the requests (say, add a trace header) before
// it calls next. Config.EnqueueMiddleware lists them, outermost first.
type EnqueueMiddleware func(next EnqueueFunc) EnqueueFunc

// chainEnqueue wraps final in Config.EnqueueMiddleware.
func (a *App) chainEnqueue(final EnqueueFunc) EnqueueFunc {
	f := final
	for i := len(a.cfg.EnqueueMiddleware) - 1; i >= 0; i-- {
		f = a.cfg.EnqueueMiddleware[i](f)
	}
	return f
}

type listedKey struct{}

// withListed returns ctx carrying tenants that the caller has just listed
// from the tenant store, ready: the enqueue that follows trusts them
// without a lookup each (EnqueueEachTenant).
func withListed(ctx context.Context, listed map[string]bool) context.Context {
	if listed == nil {
		return ctx
	}
	return context.WithValue(ctx, listedKey{}, listed)
}

// listedFrom returns the tenants that withListed put in ctx.
func listedFrom(ctx context.Context) map[string]bool {
	l, _ := ctx.Value(listedKey{}).(map[string]bool)
	return l
}
