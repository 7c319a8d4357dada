package runtime

import "context"

type tenantKey struct{}

// WithTenant returns a copy of ctx that carries the tenant ID id. Tasks
// enqueued with that context run for that tenant, the Go form of
// django-tenants' tenant_context.
func WithTenant(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, tenantKey{}, id)
}

// tenantID returns the tenant ID carried by ctx, if any.
func tenantID(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(tenantKey{}).(string)
	return id, ok && id != ""
}
