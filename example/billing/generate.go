package billing

//go:generate go run github.com/tenantgen/tenantgen/cmd/tenantgen
