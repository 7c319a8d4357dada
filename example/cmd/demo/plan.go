package main

import (
	"fmt"
	"strings"
)

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

// What counts as a task, in every number the demo prints: one enqueued
// task, whatever becomes of it. A retry is another attempt of the same
// task (counted under retries), and a repeated unique charge that returns
// the queued task's ID enqueues nothing. So, per tenant and in all, tasks
// = ran + dead letters once everything has settled.

// publicTasks are the public tasks the demo enqueues: DispatchDigests and
// RefreshRates.
const publicTasks = 2

// sent returns how many tasks the demo enqueues for the tenant through
// the web server: every invoice, charge, usage event and imported
// customer, and one ledger sync.
func (p plan) sent() int {
	n := p.invoices + p.charges + p.usage + 1 + p.imports
	if p.badCharge {
		n++
	}
	return n
}

// tasks returns how many tasks run for the tenant, or die: those sent,
// and the SendDigest that DispatchDigests enqueues for it.
func (p plan) tasks() int { return p.sent() + 1 }

// dead returns how many of the tenant's tasks end in the dead letter set.
func (p plan) dead() int {
	if p.badCharge {
		return 1
	}
	return 0
}

// describe lists what the demo sends for the tenant.
func (p plan) describe() string {
	parts := []string{
		count(p.invoices, "invoice"), count(p.charges, "charge"),
		count(p.usage, "usage event"), count(1, "ledger sync"), count(p.imports, "customer import"),
	}
	if p.badCharge {
		parts[1] = count(p.charges+1, "charge") + " (one of -500, to be refused)"
	}
	return strings.Join(parts, ", ")
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// expected returns the rows each table of the tenant's schema should hold.
func (p plan) expected() map[string]int {
	return map[string]int{
		"customers": p.imports, "invoices": p.invoices, "charges": p.charges,
		"usage_events": p.usage, "ledger_syncs": 1, "digests": 1,
	}
}

// expectedTotals returns how many tasks there are in all, tenant and
// public ones, and how many should end in the dead letter set.
func expectedTotals() (tasks, dead int) {
	for _, p := range plans {
		tasks += p.tasks()
		dead += p.dead()
	}
	return tasks + publicTasks, dead
}
