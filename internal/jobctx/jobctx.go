// Package jobctx carries the job being run in a context.Context, for the
// runtime, whose workers put it there and whose JobFrom reads it, and for
// package tenanttest, which runs tasks inline without a worker. It keeps
// that plumbing out of the runtime's public API. It holds the job as an
// opaque value so that it needs no runtime type.
package jobctx

import "context"

type key struct{}

// With returns a copy of ctx that carries job.
func With(ctx context.Context, job any) context.Context {
	return context.WithValue(ctx, key{}, job)
}

// From returns the job that ctx carries, or nil.
func From(ctx context.Context) any { return ctx.Value(key{}) }
