// Package tenantdb implements the database handles of a running task: a
// pgx pool seen through the task's tenant schema.
//
// It owns the schema switching (set_config in the statement's own batch,
// SET LOCAL folded into BEGIN), the bookkeeping of which statements each
// connection has prepared, the wrappers that give a connection back clean
// (rows, batch results, transactions), the per-task Scope that finishes
// every handle when the task ends, search_path values, and opening the
// pools of an App, adapted to a connection pooler such as PgBouncer in
// front of their server (pooler.go).
//
// It must not know tasks, tenants, queues or the tenant store: callers
// hand it pools, a search_path and plain configuration. It never imports
// the runtime package.
package tenantdb
