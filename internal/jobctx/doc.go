// Package jobctx carries the job being run in a context.Context, for the
// runtime, whose workers put it there and whose JobFrom reads it, and for
// package tenanttest, which runs tasks inline without a worker. It keeps
// that plumbing out of the runtime's public API. It holds the job as an
// opaque value so that it needs no runtime type: it must not import the
// runtime package, which imports it.
package jobctx
