package runtime

import (
	"context"
	"errors"
	"fmt"
)

// Tenant is one customer of a multi-tenant application: a schema of its own
// in every database, and a row in the tenants table of the shared schema.
// Records handed out by the runtime are shared by every task of the process
// that reads the same cache entry; treat them as read-only.
type Tenant struct {
	ID     string            // stable ID, carried by every task of the tenant
	Schema string            // PostgreSQL schema holding the tenant's tables
	Name   string            // display name
	Ready  bool              // provisioned and migrated: tasks may run for it
	Attrs  map[string]string // free-form attributes, such as a plan
}

// TenantStore looks tenants up. The default store reads the tenants table of
// the shared schema (see TableStore); supply your own through Config.Tenants
// to keep tenants elsewhere.
type TenantStore interface {
	// Tenant returns the tenant with the given ID, or an error wrapping
	// ErrUnknownTenant if there is none.
	Tenant(ctx context.Context, id string) (*Tenant, error)

	// Tenants returns every tenant, ready or not, ordered by ID.
	Tenants(ctx context.Context) ([]*Tenant, error)
}

// TenantWriter is a TenantStore that can also save and delete tenants, as
// App.CreateTenant, App.UpdateTenant and App.DeleteTenant need.
type TenantWriter interface {
	TenantStore

	// SaveTenant inserts t, or updates the tenant with t's ID.
	SaveTenant(ctx context.Context, t *Tenant) error

	// DeleteTenant deletes the tenant with the given ID; deleting a tenant
	// that does not exist is not an error.
	DeleteTenant(ctx context.Context, id string) error
}

// ErrUnknownTenant is wrapped by the errors of lookups of a tenant that does
// not exist.
var ErrUnknownTenant = errors.New("tenantgen: unknown tenant")

// TenantError is the error of a task that the worker refused to run for its
// tenant: unknown, not ready, or with an invalid ID or schema. Such a task
// fails permanently; it never runs in another schema.
type TenantError struct {
	ID     string // the tenant ID the task carried
	Reason string // why the tenant was refused
	Err    error  // the underlying error, if any
}

func (e *TenantError) Error() string {
	msg := fmt.Sprintf("tenant %q refused: %s", e.ID, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *TenantError) Unwrap() error { return e.Err }

type tenantKey struct{}

// WithTenant returns a copy of ctx that carries the tenant ID id. Tasks
// enqueued with that context run for that tenant, the Go form of
// django-tenants' tenant_context. It carries the ID only: TenantIDFrom
// reads it back, while TaskTenant reports the record that a worker
// resolved, inside a task.
func WithTenant(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, tenantKey{}, id)
}

// TenantIDFrom returns the tenant ID carried by ctx: the one WithTenant
// set, or inside a task the task's tenant. It reports false when ctx
// carries none, as in a public task.
func TenantIDFrom(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(tenantKey{}).(string)
	return id, ok && id != ""
}

// TaskTenant returns the tenant record that the worker resolved for the
// task running with ctx: checked against the tenant store, ready, with its
// schema. (An App without databases has no store to check against: its
// tasks get a record of the ID alone.) It reports false in a public task
// and outside tasks, even in a context that WithTenant gave an ID; use
// TenantIDFrom for the ID alone, or App.Tenant to look a tenant up.
func TaskTenant(ctx context.Context) (*Tenant, bool) {
	s := scopeFrom(ctx)
	if s == nil || s.tenant == nil {
		return nil, false
	}
	return s.tenant, true
}
