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
		return errors.New("runtime: ForEachTenant needs a tenant store: configure a \"default\" database or Config.Tenants")
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
	b := &batch{}
	n := 0
	flush := func() error {
		if len(b.reqs) == 0 {
			return nil
		}
		_, err := app.EnqueueMany(ctx, b.reqs)
		sent := len(b.reqs)
		b.reqs = b.reqs[:0]
		var be *BatchError
		if errors.As(err, &be) {
			for _, ie := range be.Errs {
				if !errors.Is(ie.Err, ErrDuplicate) {
					return err
				}
				sent--
			}
			err = nil
		}
		n += sent
		return err
	}
	err := ForEachTenant(ctx, app, func(ctx context.Context, t *Tenant) error {
		if err := enqueue(ctx, b); err != nil {
			return err
		}
		if len(b.reqs) >= fanOutBatch {
			return flush()
		}
		return nil
	})
	if ferr := flush(); err == nil {
		err = ferr
	}
	return n, err
}

// batch is an Enqueuer that collects requests for EnqueueMany.
type batch struct{ reqs []Request }

func (b *batch) Enqueue(_ context.Context, req Request) (TaskID, error) {
	if req.ID == "" {
		req.ID = newTaskID()
	}
	b.reqs = append(b.reqs, req)
	return req.ID, nil
}
