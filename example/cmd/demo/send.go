package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/tenantgen/tenantgen/example/service"
	"github.com/tenantgen/tenantgen/runtime"
)

// post sends body as JSON to path for tenant (none if empty) and decodes
// the answer. It reports an error unless the status is want.
func (d *demo) post(ctx context.Context, path, tenant string, viaHost bool, body any, want int) (service.Enqueued, error) {
	var res service.Enqueued
	data, err := json.Marshal(body)
	if err != nil {
		return res, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.base+path, bytes.NewReader(data))
	if err != nil {
		return res, err
	}
	req.Header.Set("Content-Type", "application/json")
	switch {
	case tenant != "" && viaHost:
		req.Host = tenant + ".localhost"
	case tenant != "":
		req.Header.Set(service.TenantHeader, tenant)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return res, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return res, fmt.Errorf("POST %s for tenant %q: status %d, want %d: %s", path, tenant, resp.StatusCode, want, bytes.TrimSpace(b))
	}
	if want == http.StatusAccepted {
		err = json.Unmarshal(b, &res)
	}
	return res, err
}

// send enqueues the plans, the fan-out and the public tasks, and records
// in d.sent how many tasks each tenant got (see plan.go for what counts).
func (d *demo) send(ctx context.Context) error {
	d.sent = map[string]int{}
	for _, p := range plans {
		how := "X-Tenant header"
		if p.viaHost {
			how = "subdomain " + p.tenant + ".localhost"
		}
		post := func(path string, body any) (service.Enqueued, error) {
			res, err := d.post(ctx, path, p.tenant, p.viaHost, body, http.StatusAccepted)
			if err == nil && res.Tenant != p.tenant {
				err = fmt.Errorf("POST %s for tenant %q: answered for tenant %q", path, p.tenant, res.Tenant)
			}
			if !res.Duplicate {
				d.sent[p.tenant] += len(res.TaskIDs)
			}
			return res, err
		}
		for i := range p.invoices {
			if _, err := post("/invoices", map[string]any{"invoice_id": fmt.Sprintf("inv-%d", i+1), "email": fmt.Sprintf("billing%d@%s.test", i+1, p.tenant), "cents": 1000 * (i + 1)}); err != nil {
				return err
			}
		}
		var first service.Enqueued
		for i := range p.charges {
			res, err := post("/charges", map[string]any{"customer_id": fmt.Sprintf("cus_%d", i+1), "cents": 2500 + i})
			if err != nil {
				return err
			}
			if i == 0 {
				first = res
			}
		}
		// The same charge again: a unique task, so the same task ID back,
		// and no new task.
		dup, err := post("/charges", map[string]any{"customer_id": "cus_1", "cents": 2500})
		if err != nil {
			return err
		}
		same := dup.Duplicate && slices.Equal(dup.TaskIDs, first.TaskIDs)
		what := fmt.Sprintf("%s: a repeated charge (unique=1h) returned the queued task %s, not a new one", p.tenant, ids(first.TaskIDs))
		if !same {
			what += fmt.Sprintf(" (it returned %s, duplicate %t)", ids(dup.TaskIDs), dup.Duplicate)
		}
		d.check(same, "%s", what)
		if p.badCharge {
			if _, err := post("/charges", map[string]any{"customer_id": "cus_9", "cents": -500}); err != nil {
				return err
			}
		}
		for i := range p.usage {
			if _, err := post("/usage", map[string]any{"customer_id": "cus_1", "metric": "api_calls", "quantity": 100 * (i + 1)}); err != nil {
				return err
			}
		}
		if _, err := post("/ledger/sync", nil); err != nil {
			return err
		}
		var customers []customer
		for i := range p.imports {
			customers = append(customers, customer{ID: fmt.Sprintf("crm-%d", i+1), Email: fmt.Sprintf("c%d@%s.test", i+1, p.tenant), Name: fmt.Sprintf("Customer %d", i+1)})
		}
		if _, err := post("/customers/import", map[string]any{"customers": customers, "crm_latency_ms": 50}); err != nil {
			return err
		}
		fmt.Printf("    %-8s via %-27s %2d tasks: %s\n", p.tenant, how, d.sent[p.tenant], p.describe())
		d.check(d.sent[p.tenant] == p.sent(), "%s: the web server enqueued %d tasks, want %d", p.tenant, d.sent[p.tenant], p.sent())
	}
	for _, path := range []string{"/admin/digests", "/admin/rates/refresh"} {
		body := any(nil)
		if path == "/admin/digests" {
			body = map[string]string{"period": "2026-01"}
		}
		res, err := d.post(ctx, path, "", false, body, http.StatusAccepted)
		if err != nil {
			return err
		}
		d.sent[""] += len(res.TaskIDs)
	}
	fmt.Printf("    %-8s via %-27s %2d tasks: DispatchDigests, which enqueues 1 SendDigest per tenant (%d more), and RefreshRates\n", "public", "/admin", d.sent[""], len(plans))
	forTenants := 0
	for _, p := range plans {
		forTenants += d.sent[p.tenant]
	}
	fmt.Printf("    %d tasks in all: %d for tenants + %d public + %d SendDigest from the fan-out (a repeated charge adds none)\n",
		forTenants+d.sent[""]+len(plans), forTenants, d.sent[""], len(plans))
	_, err := d.post(ctx, "/invoices", "umbrella", false, map[string]any{"invoice_id": "x", "email": "x@umbrella.test"}, http.StatusNotFound)
	d.check(err == nil, "a request for unknown tenant umbrella was refused with 404 (%v)", errOrNone(err))
	return nil
}

// ids formats task IDs as a reader wants them: space-separated.
func ids(list []runtime.TaskID) string {
	s := make([]string, len(list))
	for i, id := range list {
		s[i] = string(id)
	}
	return strings.Join(s, " ")
}

// customer is a customer as the import endpoint takes it.
type customer struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}
