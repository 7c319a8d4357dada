// Package templates holds the SQL that tenantgen ships: plain migrations
// that users may review and apply with their own tools, and that the
// runtime applies itself (see runtime.App.CreateTenantsTable).
//
// The files are written without a schema qualifier: apply them with the
// shared schema (usually public) first on search_path.
package templates

import "embed"

// FS holds the SQL files, named <order>_<what>.sql.
//
//go:embed *.sql
var FS embed.FS

// Tenants is the file that creates the tenants table of the default
// runtime.TenantStore.
const Tenants = "001_tenants.sql"

// PeriodicTasks is the file that creates the periodic tasks table of the
// database-backed schedule (runtime.SchedulerConfig.Tables), in the shared
// schema or a tenant schema.
const PeriodicTasks = "002_periodic_tasks.sql"

// Outbox is the file that creates the outbox table of transactional
// enqueues (runtime.App.Tx) and its notify trigger, in the shared schema.
const Outbox = "003_outbox.sql"
