// Package tenantgen is the root of the tenantgen module: a code generator
// (cmd/tenantgen) and a runtime (package runtime) for background tasks in
// multi-tenant applications that keep one PostgreSQL schema per tenant.
//
// go generate ./... regenerates every generated file in the module. Each
// package with tasks carries its own //go:generate line, as an application's
// package would (example/billing/generate.go), so go generate visits each
// of them once.
package tenantgen
