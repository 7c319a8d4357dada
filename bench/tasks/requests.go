package tasks

import (
	"context"

	"github.com/tenantgen/tenantgen/bench/internal/probe"
	"github.com/tenantgen/tenantgen/runtime"
)

// NoopRequest builds the Request that EnqueueNoop would enqueue, for
// runtime.App.EnqueueMany.
func NoopRequest(ctx context.Context, a probe.Args) (runtime.Request, error) {
	return noopTask.NewRequest(ctx, a)
}

// TouchRequest builds the Request that EnqueueTouch would enqueue, for
// runtime.App.EnqueueMany; ctx carries the tenant.
func TouchRequest(ctx context.Context, a probe.Args) (runtime.Request, error) {
	return touchTask.NewRequest(ctx, a)
}

// WorkRequest builds the Request that EnqueueWork would enqueue, for
// runtime.App.EnqueueMany; ctx carries the tenant.
func WorkRequest(ctx context.Context, a probe.Args) (runtime.Request, error) {
	return workTask.NewRequest(ctx, a)
}
