// Package tenantgen is the root of the tenantgen module: a code generator
// (cmd/tenantgen) and a runtime (package runtime) for background tasks in
// multi-tenant applications that keep one PostgreSQL schema per tenant.
//
// This file holds the repository's go:generate directive. go generate ./...
// run here regenerates every generated file in the repository, each once:
// each package with tasks carries its own //go:generate line, as an
// application's package would (example/billing/generate.go), and the
// directive below regenerates the bench module, which ./... does not reach
// because it is a module of its own.
package tenantgen

//go:generate go -C bench generate ./...
