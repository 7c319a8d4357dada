package billing

// Inside the tenantgen module the generator runs with go run; an application
// that added it with go get -tool writes go tool tenantgen instead.
//
//go:generate go run github.com/tenantgen/tenantgen/cmd/tenantgen
