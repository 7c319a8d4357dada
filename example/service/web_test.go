package service_test

import (
	"net/http/httptest"
	"testing"

	"github.com/tenantgen/tenantgen/example/service"
)

func TestTenantOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, host, header string
		want               string
		ok                 bool
	}{
		{"header", "localhost:8080", "acme", "acme", true},
		{"header wins over subdomain", "globex.localhost", "acme", "acme", true},
		{"header is trimmed", "localhost", "  acme ", "acme", true},
		{"subdomain with port", "globex.localhost:8080", "", "globex", true},
		{"subdomain of a longer name", "initech.billing.internal", "", "initech", true},
		{"trailing dot", "acme.localhost.", "", "acme", true},
		{"bare host", "localhost:8080", "", "", false},
		{"www is no tenant", "www.billing.internal", "", "", false},
		{"IPv4", "127.0.0.1:8080", "", "", false},
		{"IPv6", "[::1]:8080", "", "", false},
		{"empty", "", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/invoices", nil)
			r.Host = tc.host
			if tc.header != "" {
				r.Header.Set(service.TenantHeader, tc.header)
			}
			got, ok := service.TenantOf(r)
			if got != tc.want || ok != tc.ok {
				t.Errorf("TenantOf(host %q, header %q) = %q, %v; want %q, %v", tc.host, tc.header, got, ok, tc.want, tc.ok)
			}
		})
	}
}
