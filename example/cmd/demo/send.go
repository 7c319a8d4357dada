package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/tenantgen/tenantgen/example/service"
)

// post sends body as JSON to path for tenant (none if empty) and decodes
// the answer. It reports an error unless the status is want.
func (d *demo) post(path, tenant string, viaHost bool, body any, want int) (service.Enqueued, error) {
	var res service.Enqueued
	data, err := json.Marshal(body)
	if err != nil {
		return res, err
	}
	req, err := http.NewRequest(http.MethodPost, d.base+path, bytes.NewReader(data))
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

// send enqueues the plans, the fan-out and the public task.
func (d *demo) send() error {
	sent := 0
	for _, p := range plans {
		how := "X-Tenant header"
		if p.viaHost {
			how = "subdomain " + p.tenant + ".localhost"
		}
		post := func(path string, body any) (service.Enqueued, error) {
			res, err := d.post(path, p.tenant, p.viaHost, body, http.StatusAccepted)
			if err == nil && res.Tenant != p.tenant {
				err = fmt.Errorf("POST %s for tenant %q: answered for tenant %q", path, p.tenant, res.Tenant)
			}
			sent += len(res.TaskIDs)
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
		// The same charge again: a unique task, so the same task ID back.
		dup, err := post("/charges", map[string]any{"customer_id": "cus_1", "cents": 2500})
		if err != nil {
			return err
		}
		sent--
		d.check(dup.Duplicate && slices.Equal(dup.TaskIDs, first.TaskIDs), "%s: a repeated charge (unique=1h) returned the queued task %v, not a new one", p.tenant, first.TaskIDs)
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
		fmt.Printf("    %-8s via %-27s %2d tasks so far\n", p.tenant, how, sent)
	}
	if _, err := d.post("/admin/digests", "", false, map[string]string{"period": "2026-01"}, http.StatusAccepted); err != nil {
		return err
	}
	if _, err := d.post("/admin/rates/refresh", "", false, nil, http.StatusAccepted); err != nil {
		return err
	}
	fmt.Printf("    public   DispatchDigests (fans out SendDigest to every tenant) and RefreshRates\n")
	_, err := d.post("/invoices", "umbrella", false, map[string]any{"invoice_id": "x", "email": "x@umbrella.test"}, http.StatusNotFound)
	d.check(err == nil, "a request for unknown tenant umbrella was refused with 404 (%v)", errOrNone(err))
	return nil
}

// customer is a customer as the import endpoint takes it.
type customer struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}
