package billing

import (
	"embed"
	"io/fs"
)

//go:embed migrations
var migrations embed.FS

// TenantMigrations are the SQL migrations of a tenant's schema, applied in
// name order by runtime.App.CreateTenant and runtime.App.MigrateTenants.
var TenantMigrations = sub("migrations/tenant")

// SharedMigrations are the SQL files that create the tables shared by every
// tenant, in the shared schema. Each is idempotent (create ... if not
// exists).
var SharedMigrations = sub("migrations/shared")

func sub(dir string) fs.FS {
	f, err := fs.Sub(migrations, dir)
	if err != nil {
		panic(err) // dir is a constant inside the embedded tree
	}
	return f
}
