// Package codegen writes tenant_tasks.gen.go files: for each //tenant:task
// function found by package scan, a constant holding its task name, a typed
// task definition and an Enqueue function, and for each package a
// RegisterTasks function.
//
// Generate is pure: it returns the files it would write, which lets
// tenantgen -check compare them with the disk. File.Write writes one.
//
// It owns the shape of the generated code; it must not load or check
// packages (package scan does), and the runtime must not import it.
package codegen
