// Package migrate applies migration files to tenant schemas.
//
// It owns the provisioning steps below the tenant store: creating a
// schema on its own statement first (as Citus needs), the
// tenantgen_migrations table that records in each schema the files
// applied to it, and applying each file once, in its own transaction,
// serialized per schema by an advisory lock.
//
// It must not know tenants, their store or the tenant cache: callers give
// it a database, a schema and its search_path. It never imports the
// runtime package.
package migrate
