// Package tenantgen is the root of the tenantgen module: a code generator
// (cmd/tenantgen) and a runtime (package runtime) for background tasks in
// multi-tenant applications that keep one PostgreSQL schema per tenant.
//
// This file holds the module's go:generate directive: go generate ./...
// regenerates every generated file in the repository.
package tenantgen

//go:generate go run ./cmd/tenantgen ./example/...
