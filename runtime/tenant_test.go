package runtime_test

import (
	"context"
	"testing"

	"github.com/tenantgen/tenantgen/runtime"
)

// TestTenantAccessors: WithTenant carries an ID, which TenantIDFrom reads
// back; TaskTenant reports a resolved record, which only a worker gives.
func TestTenantAccessors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		ctx    context.Context
		wantID string
		wantOK bool
	}{
		{"background", context.Background(), "", false},
		{"with tenant", runtime.WithTenant(context.Background(), "acme"), "acme", true},
		{"empty id", runtime.WithTenant(context.Background(), ""), "", false},
		{"later wins", runtime.WithTenant(runtime.WithTenant(context.Background(), "acme"), "globex"), "globex", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id, ok := runtime.TenantIDFrom(tt.ctx)
			if id != tt.wantID || ok != tt.wantOK {
				t.Errorf("TenantIDFrom = %q, %v; want %q, %v", id, ok, tt.wantID, tt.wantOK)
			}
			if rec, ok := runtime.TaskTenant(tt.ctx); ok {
				t.Errorf("TaskTenant outside a task = %+v, true; want false", rec)
			}
		})
	}
}
