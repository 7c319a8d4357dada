package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/tenantgen/tenantgen/example/billing"
	"github.com/tenantgen/tenantgen/runtime"
)

// TenantHeader is the request header that names the tenant. It wins over
// the subdomain.
const TenantHeader = "X-Tenant"

// TenantOf returns the tenant a request is for: the X-Tenant header, else
// the first label of the host name when the host has a subdomain, as in
// acme.localhost:8080 or acme.billing.internal. A bare host name such as
// localhost, and an IP address, name no tenant.
func TenantOf(r *http.Request) (string, bool) {
	if id := strings.TrimSpace(r.Header.Get(TenantHeader)); id != "" {
		return id, true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(host, ".")
	if host == "" || net.ParseIP(host) != nil || strings.HasPrefix(host, "[") {
		return "", false
	}
	label, rest, ok := strings.Cut(host, ".")
	if !ok || label == "" || rest == "" || label == "www" {
		return "", false
	}
	return label, true
}

// Enqueued is the JSON answer of every enqueueing endpoint.
type Enqueued struct {
	Tenant    string           `json:"tenant,omitempty"` // empty for public tasks
	TaskIDs   []runtime.TaskID `json:"task_ids"`
	Duplicate bool             `json:"duplicate,omitempty"` // a unique task was already queued: its ID is returned
}

// Handler returns the HTTP handler of the example's web server. Tenant
// endpoints resolve the tenant with TenantOf, check it with App.Tenant, and
// enqueue with the generated billing.Enqueue functions on a context that
// carries the tenant:
//
//	POST /invoices          {"invoice_id", "email", "cents"}   SendInvoice
//	POST /charges           {"customer_id", "cents"}           ChargeCard (unique)
//	POST /usage             {"customer_id", "metric", "quantity"} RecordUsage
//	POST /ledger/sync                                          SyncLedger
//	POST /customers/import  {"customers": [...], "crm_latency_ms"} ImportCustomer, one per customer
//
// Public endpoints need no tenant:
//
//	POST /admin/rates/refresh                                  RefreshRates
//	POST /admin/digests     {"period"}                         DispatchDigests, which fans out SendDigest
//	GET  /healthz
func Handler(app *runtime.App) http.Handler {
	h := &handler{app: app}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.Handle("POST /invoices", h.tenant(h.invoice))
	mux.Handle("POST /charges", h.tenant(h.charge))
	mux.Handle("POST /usage", h.tenant(h.usage))
	mux.Handle("POST /ledger/sync", h.tenant(h.syncLedger))
	mux.Handle("POST /customers/import", h.tenant(h.importCustomers))
	mux.HandleFunc("POST /admin/rates/refresh", h.refreshRates)
	mux.HandleFunc("POST /admin/digests", h.digests)
	return mux
}

type handler struct {
	app *runtime.App
}

// httpError is an error with the HTTP status to answer it with.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// tenant adapts an enqueueing function to a handler of a tenant endpoint:
// it resolves and checks the tenant and puts it in the request's context,
// so that the generated Enqueue functions stamp it on the task.
func (h *handler) tenant(fn func(ctx context.Context, r *http.Request) (Enqueued, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := TenantOf(r)
		if !ok {
			writeError(w, &httpError{http.StatusBadRequest, "no tenant: send an " + TenantHeader + " header or use the tenant's subdomain"})
			return
		}
		t, err := h.app.Tenant(r.Context(), id)
		switch {
		case errors.Is(err, runtime.ErrUnknownTenant):
			writeError(w, &httpError{http.StatusNotFound, fmt.Sprintf("unknown tenant %q", id)})
			return
		case err != nil:
			writeError(w, err)
			return
		case !t.Ready:
			writeError(w, &httpError{http.StatusConflict, fmt.Sprintf("tenant %q is not ready yet", id)})
			return
		}
		ctx := runtime.WithTenant(r.Context(), t.ID)
		res, err := fn(ctx, r)
		if err != nil {
			writeError(w, err)
			return
		}
		res.Tenant = t.ID
		writeJSON(w, http.StatusAccepted, res)
	})
}

// decode reads the JSON body of r into v, refusing unknown fields.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("invalid JSON body: %v", err)
	}
	return nil
}

// one returns the answer for one enqueued task.
func one(id runtime.TaskID, err error) (Enqueued, error) {
	if errors.Is(err, runtime.ErrDuplicate) {
		return Enqueued{TaskIDs: []runtime.TaskID{id}, Duplicate: true}, nil
	}
	if err != nil {
		return Enqueued{}, err
	}
	return Enqueued{TaskIDs: []runtime.TaskID{id}}, nil
}

func (h *handler) invoice(ctx context.Context, r *http.Request) (Enqueued, error) {
	var args billing.InvoiceArgs
	if err := decode(r, &args); err != nil {
		return Enqueued{}, err
	}
	if args.InvoiceID == "" || args.Email == "" {
		return Enqueued{}, badRequest("invoice_id and email are required")
	}
	return one(billing.EnqueueSendInvoice(ctx, h.app, args))
}

func (h *handler) charge(ctx context.Context, r *http.Request) (Enqueued, error) {
	var body struct {
		CustomerID string `json:"customer_id"`
		Cents      int64  `json:"cents"`
	}
	if err := decode(r, &body); err != nil {
		return Enqueued{}, err
	}
	// The amount is checked by the task, which refuses it permanently:
	// the demo sends a bad one to show a dead letter.
	return one(billing.EnqueueChargeCard(ctx, h.app, body.CustomerID, body.Cents))
}

func (h *handler) usage(ctx context.Context, r *http.Request) (Enqueued, error) {
	var body struct {
		CustomerID string `json:"customer_id"`
		Metric     string `json:"metric"`
		Quantity   int64  `json:"quantity"`
	}
	if err := decode(r, &body); err != nil {
		return Enqueued{}, err
	}
	return one(billing.EnqueueRecordUsage(ctx, h.app, body.CustomerID, body.Metric, body.Quantity, time.Now().UTC()))
}

func (h *handler) syncLedger(ctx context.Context, _ *http.Request) (Enqueued, error) {
	return one(billing.EnqueueSyncLedger(ctx, h.app))
}

func (h *handler) importCustomers(ctx context.Context, r *http.Request) (Enqueued, error) {
	var body struct {
		Customers    []billing.Customer `json:"customers"`
		CRMLatencyMS int                `json:"crm_latency_ms"`
	}
	if err := decode(r, &body); err != nil {
		return Enqueued{}, err
	}
	res := Enqueued{TaskIDs: []runtime.TaskID{}}
	for _, c := range body.Customers {
		c.CRMLatency = time.Duration(body.CRMLatencyMS) * time.Millisecond
		id, err := billing.EnqueueImportCustomer(ctx, h.app, c)
		if err != nil {
			return Enqueued{}, err
		}
		res.TaskIDs = append(res.TaskIDs, id)
	}
	return res, nil
}

func (h *handler) refreshRates(w http.ResponseWriter, r *http.Request) {
	res, err := one(billing.EnqueueRefreshRates(r.Context(), h.app))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, res)
}

func (h *handler) digests(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Period string `json:"period"`
	}
	if err := decode(r, &body); err != nil {
		writeError(w, err)
		return
	}
	if body.Period == "" {
		body.Period = time.Now().UTC().Format("2006-01")
	}
	res, err := one(billing.EnqueueDispatchDigests(r.Context(), h.app, body.Period))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, res)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	var he *httpError
	if errors.As(err, &he) {
		status = he.status
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}
