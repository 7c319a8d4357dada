package runtime

import (
	"context"
	"errors"
	"fmt"
)

// fanOutBatch is how many tasks EnqueueEachTenant sends per round trip.
const fanOutBatch = 1000

// ForEachTenant calls fn once for each ready tenant, in ID order, with ctx
// carrying that tenant (see WithTenant): the dispatcher pattern, where one
// task fans work out to every tenant. Tenants that are not ready are
// skipped. An error from fn does not stop the others; ForEachTenant returns
// them all, joined. It stops early only when ctx is cancelled.
func ForEachTenant(ctx context.Context, app *App, fn func(ctx context.Context, t *Tenant) error) error {
	if app.tenants == nil {
		return errors.New("tenantgen: ForEachTenant needs a tenant store: " + app.cfg.needStore())
	}
	list, err := app.tenants.Tenants(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range list {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		if !t.Ready {
			continue
		}
		if err := fn(WithTenant(ctx, t.ID), t); err != nil {
			errs = append(errs, fmt.Errorf("tenant %q: %w", t.ID, err))
		}
	}
	return errors.Join(errs...)
}

// EnqueueEachTenant enqueues tasks for every ready tenant, in batches of
// one round trip per thousand tasks. It calls enqueue once per tenant, with
// ctx carrying the tenant and an Enqueuer that collects what the call
// enqueues, so the generated Enqueue functions work unchanged:
//
//	n, err := runtime.EnqueueEachTenant(ctx, app, func(ctx context.Context, e runtime.Enqueuer) error {
//		_, err := billing.EnqueueSendReport(ctx, e, month)
//		return err
//	})
//
// It returns how many tasks were enqueued. Duplicates of unique tasks do
// not count and are not errors.
func EnqueueEachTenant(ctx context.Context, app *App, enqueue func(ctx context.Context, e Enqueuer) error) (int, error) {
	b := app.NewBatch()
	n := 0
	flush := func() error {
		sent, err := b.Flush(ctx)
		n += sent
		return err
	}
	b.listed = make(map[string]bool)
	err := ForEachTenant(ctx, app, func(ctx context.Context, t *Tenant) error {
		b.listed[t.ID] = true // ready: the enqueue need not look it up again
		if err := enqueue(ctx, b); err != nil {
			return err
		}
		if b.Len() >= fanOutBatch {
			return flush()
		}
		return nil
	})
	if ferr := flush(); err == nil {
		err = ferr
	}
	return n, err
}

// Batch is an Enqueuer that collects requests, to send them in one round
// trip with Flush. Pass it to generated Enqueue functions in a loop; the
// IDs they return are those the tasks will have. A Batch is not safe for
// concurrent use.
type Batch struct {
	app    *App
	reqs   []Request
	listed map[string]bool // tenants listed as ready by EnqueueEachTenant
}

// NewBatch returns an empty batch that flushes to a.
func (a *App) NewBatch() *Batch { return &Batch{app: a} }

// Enqueue adds req to the batch and returns the ID the task will have.
func (b *Batch) Enqueue(_ context.Context, req Request) (TaskID, error) {
	if req.ID == "" {
		req.ID = newTaskID()
	}
	b.reqs = append(b.reqs, req)
	return req.ID, nil
}

// Len returns the number of requests waiting to be flushed.
func (b *Batch) Len() int { return len(b.reqs) }

// Flush enqueues the collected requests with App.EnqueueMany and empties
// the batch. It returns how many tasks were enqueued; duplicates of unique
// tasks are not counted and not errors. Other failed requests are reported
// in a *BatchError.
func (b *Batch) Flush(ctx context.Context) (int, error) {
	if len(b.reqs) == 0 {
		return 0, nil
	}
	_, err := b.app.EnqueueMany(withListed(ctx, b.listed), b.reqs)
	sent := len(b.reqs)
	b.reqs = b.reqs[:0]
	var be *BatchError
	if !errors.As(err, &be) {
		if err != nil {
			return 0, err
		}
		return sent, nil
	}
	var other []IndexedError
	for _, ie := range be.Errs {
		sent--
		if !errors.Is(ie.Err, ErrDuplicate) {
			other = append(other, ie)
		}
	}
	if len(other) > 0 {
		return sent, &BatchError{Errs: other}
	}
	return sent, nil
}
