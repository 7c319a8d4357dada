package jobctx

import "context"

type key struct{}

// With returns a copy of ctx that carries job.
func With(ctx context.Context, job any) context.Context {
	return context.WithValue(ctx, key{}, job)
}

// From returns the job that ctx carries, or nil.
func From(ctx context.Context) any { return ctx.Value(key{}) }
