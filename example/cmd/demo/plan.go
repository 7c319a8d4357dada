package main

// plan is what the demo sends for one tenant.
type plan struct {
	tenant    string
	viaHost   bool // name the tenant by subdomain instead of X-Tenant
	invoices  int
	charges   int
	badCharge bool // also a negative charge: refused, dead letter
	usage     int
	imports   int
}

var plans = []plan{
	{tenant: "acme", invoices: 3, charges: 2, usage: 4, imports: 3},
	{tenant: "globex", viaHost: true, invoices: 2, charges: 1, usage: 3, imports: 2},
	{tenant: "initech", invoices: 1, charges: 1, badCharge: true, usage: 2, imports: 1},
}

// expected returns the rows each table of the tenant's schema should hold.
func (p plan) expected() map[string]int {
	return map[string]int{
		"customers": p.imports, "invoices": p.invoices, "charges": p.charges,
		"usage_events": p.usage, "ledger_syncs": 1, "digests": 1,
	}
}

// expectedTotals returns how many tenant tasks should finish and how many
// should be dead, in all.
func expectedTotals() (run, dead int) {
	for _, p := range plans {
		for _, n := range p.expected() {
			run += n
		}
		if p.badCharge {
			dead++
		}
	}
	return run, dead
}
