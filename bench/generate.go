// Package bench is the root of the benchmark module: tenantgen side by side
// with asynq and river. Run it with ./run.sh; see README.md.
//
// This file holds the module's go:generate directive: go generate ./...
// (run from bench/) regenerates the tenantgen stubs of package tasks.
package bench

//go:generate go run github.com/tenantgen/tenantgen/cmd/tenantgen ./...
