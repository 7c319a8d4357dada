package example_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantgen/tenantgen/example/internal/procs"
	"github.com/tenantgen/tenantgen/example/service"
	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// e2e is the state of the end-to-end test: the example's settings in a
// namespace of its own, a client App for checks, and the built binaries.
type e2e struct {
	s         service.Settings
	env       []string
	app       *runtime.App
	dir       string
	workerBin string
	webBin    string
	base      string // web's URL
}

// TestEndToEnd builds example/cmd/worker and example/cmd/web, runs them as
// separate processes against real PostgreSQL and Redis, enqueues over HTTP
// for each tenant and checks each tenant's rows; then it kills the worker
// with SIGKILL in the middle of a batch, starts another and checks that no
// task is lost.
func TestEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the end-to-end test builds the example with the go command, which is not on PATH: %v", err)
	}
	ctx := t.Context()
	// Small pools: other tests share the server's connection limit.
	dbURL := testenv.DatabaseURL(t)
	if strings.Contains(dbURL, "?") {
		dbURL += "&pool_max_conns=3"
	} else {
		dbURL += "?pool_max_conns=3"
	}
	e := &e2e{dir: t.TempDir(), s: service.Settings{
		RedisURL: testenv.RedisURL(t), DatabaseURL: dbURL, ReplicaURL: dbURL,
		Namespace:   "tge2e_" + strings.ToLower(rand.Text()[:8]),
		Concurrency: 4,
		// A short TTL, so that the tasks of a killed worker come back fast.
		Heartbeat: 200 * time.Millisecond, WorkerTTL: time.Second,
	}}
	e.env = []string{
		service.EnvRedisURL + "=" + e.s.RedisURL,
		service.EnvDatabaseURL + "=" + e.s.DatabaseURL,
		service.EnvReplicaURL + "=" + e.s.ReplicaURL,
		service.EnvNamespace + "=" + e.s.Namespace,
		service.EnvConcurrency + "=4",
		service.EnvHeartbeat + "=200ms",
		service.EnvWorkerTTL + "=1s",
	}
	t.Cleanup(func() {
		if err := service.Teardown(context.Background(), e.s); err != nil {
			t.Errorf("teardown: %v", err)
		}
	})
	var err error
	if e.app, err = service.OpenClient(ctx, e.s, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.app.Close() })
	if err := service.Setup(ctx, e.app, e.s); err != nil {
		t.Fatal(err)
	}
	if e.workerBin, e.webBin, err = procs.Build(ctx, e.dir); err != nil {
		t.Fatal(err)
	}
	worker := e.start(t, "worker-1")
	web, base, err := procs.StartWeb(e.webBin, filepath.Join(e.dir, "web.log"), e.env)
	if err != nil {
		t.Fatal(err)
	}
	e.base = base
	e.logOnFailure(t, web)
	t.Cleanup(func() {
		if err := web.Stop(15 * time.Second); err != nil {
			t.Errorf("web: %v", err)
		}
	})

	t.Run("each tenant gets its own rows", func(t *testing.T) { e.ownRows(t) })
	t.Run("requests without a known tenant are refused", func(t *testing.T) { e.refused(t) })
	t.Run("SIGKILL in the middle of a batch loses nothing", func(t *testing.T) { e.crash(t, worker) })
}

// start starts a worker process, killed at the end of the test if still
// running.
func (e *e2e) start(t *testing.T, name string) *procs.Proc {
	t.Helper()
	p, err := procs.Start(name, e.workerBin, filepath.Join(e.dir, name+".log"), e.env)
	if err != nil {
		t.Fatal(err)
	}
	e.logOnFailure(t, p)
	t.Cleanup(func() {
		if !p.Exited() {
			p.Kill()
		}
	})
	return p
}

// logOnFailure logs the end of p's log if the test fails.
func (e *e2e) logOnFailure(t *testing.T, p *procs.Proc) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s log (%s), last lines:\n%s", p.Name, p.Log, p.Tail(30))
		}
	})
}

// post sends body as JSON for tenant and returns the status and answer.
func (e *e2e) post(t *testing.T, path string, tenant, host string, body any) (int, service.Enqueued) {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.base+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if tenant != "" {
		req.Header.Set(service.TenantHeader, tenant)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res service.Enqueued
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusAccepted {
		if err := json.Unmarshal(b, &res); err != nil {
			t.Fatalf("POST %s: %v: %s", path, err, b)
		}
	}
	return resp.StatusCode, res
}

// strings returns the first column of a query on the test database.
func (e *e2e) strings(t *testing.T, sql string, args ...any) []string {
	t.Helper()
	pool, _ := e.app.Pool("default")
	rows, err := pool.Query(t.Context(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// count returns the rows of table in the schema of tenant.
func (e *e2e) count(t *testing.T, tenant, table string) int {
	t.Helper()
	pool, _ := e.app.Pool("default")
	var n int
	err := pool.QueryRow(t.Context(), "select count(*) from "+pgx.Identifier{e.s.TenantSchema(tenant), table}.Sanitize()).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *e2e) ownRows(t *testing.T) {
	tests := []struct {
		tenant   string
		header   string // X-Tenant
		host     string // Host, for the subdomain
		invoices []string
	}{
		{tenant: "acme", header: "acme", invoices: []string{"acme-1", "acme-2", "acme-3"}},
		{tenant: "globex", host: "globex.localhost", invoices: []string{"globex-1"}},
		{tenant: "initech", header: "initech", host: "globex.localhost", invoices: []string{"initech-1", "initech-2"}},
	}
	for _, tc := range tests {
		for _, id := range tc.invoices {
			status, res := e.post(t, "/invoices", tc.header, tc.host, map[string]any{"invoice_id": id, "email": "ap@" + tc.tenant + ".test", "cents": 1200})
			if status != http.StatusAccepted || res.Tenant != tc.tenant || len(res.TaskIDs) != 1 {
				t.Fatalf("POST /invoices %s: status %d, answer %+v; want 202 for tenant %s with one task ID", id, status, res, tc.tenant)
			}
		}
		status, res := e.post(t, "/usage", tc.header, tc.host, map[string]any{"customer_id": "cus_1", "metric": "seats", "quantity": len(tc.invoices)})
		if status != http.StatusAccepted || res.Tenant != tc.tenant {
			t.Fatalf("POST /usage for %s: status %d, answer %+v", tc.tenant, status, res)
		}
	}
	for _, tc := range tests {
		t.Run(tc.tenant, func(t *testing.T) {
			schema := e.s.TenantSchema(tc.tenant)
			q := "select id from " + pgx.Identifier{schema, "invoices"}.Sanitize() + " order by id"
			var got []string
			testenv.WaitFor(t, tc.tenant+"'s invoices", func() bool {
				got = e.strings(t, q)
				// Each task records itself in activity after its own rows.
				return len(got) >= len(tc.invoices) && e.count(t, tc.tenant, "usage_events") == 1 &&
					e.count(t, tc.tenant, "activity") >= len(tc.invoices)+1
			})
			if !slices.Equal(got, tc.invoices) {
				t.Errorf("invoices in schema %s = %q, want %q", schema, got, tc.invoices)
			}
			seen := e.strings(t, "select distinct tenant_id || ' in ' || schema_name from "+pgx.Identifier{schema, "activity"}.Sanitize())
			if want := []string{tc.tenant + " in " + schema}; !slices.Equal(seen, want) {
				t.Errorf("tasks of schema %s recorded %q, want %q", schema, seen, want)
			}
		})
	}
}

func (e *e2e) refused(t *testing.T) {
	for _, tc := range []struct {
		name, header, host string
		want               int
	}{
		{"unknown tenant", "umbrella", "", http.StatusNotFound},
		{"unknown subdomain", "", "umbrella.localhost", http.StatusNotFound},
		{"no tenant", "", "localhost", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _ := e.post(t, "/invoices", tc.header, tc.host, map[string]any{"invoice_id": "x", "email": "x@x.test"})
			if status != tc.want {
				t.Errorf("status %d, want %d", status, tc.want)
			}
		})
	}
}

func (e *e2e) crash(t *testing.T, worker *procs.Proc) {
	const perTenant = 20
	tenants := []string{"acme", "globex", "initech"}
	for _, tenant := range tenants {
		var customers []map[string]string
		for i := range perTenant {
			customers = append(customers, map[string]string{"id": fmt.Sprintf("%s-c%02d", tenant, i), "email": fmt.Sprintf("c%d@%s.test", i, tenant)})
		}
		status, res := e.post(t, "/customers/import", tenant, "", map[string]any{"customers": customers, "crm_latency_ms": 150})
		if status != http.StatusAccepted || len(res.TaskIDs) != perTenant {
			t.Fatalf("POST /customers/import for %s: status %d, %d task IDs; want 202 and %d", tenant, status, len(res.TaskIDs), perTenant)
		}
	}
	imported := func() int {
		n := 0
		for _, tenant := range tenants {
			n += e.count(t, tenant, "customers")
		}
		return n
	}
	testenv.WaitFor(t, "the first imports", func() bool { return imported() >= 8 })
	worker.Kill()
	at := imported()
	if at >= perTenant*len(tenants) {
		t.Fatalf("all %d imports were done before the kill: the batch was too fast to test a crash", at)
	}
	t.Logf("killed the worker with SIGKILL after %d of %d imports", at, perTenant*len(tenants))

	next := e.start(t, "worker-2")
	testenv.WaitFor(t, "every import", func() bool { return imported() == perTenant*len(tenants) })
	for _, tenant := range tenants {
		if n := e.count(t, tenant, "customers"); n != perTenant {
			t.Errorf("%s has %d customers, want %d", tenant, n, perTenant)
		}
		got := e.strings(t, "select id from "+pgx.Identifier{e.s.TenantSchema(tenant), "customers"}.Sanitize()+" where id not like $1", tenant+"-%")
		if len(got) > 0 {
			t.Errorf("%s's schema holds customers of other tenants: %q", tenant, got)
		}
	}
	dead, err := e.app.DeadTasks(t.Context(), "imports", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) > 0 {
		t.Errorf("%d imports were dead-lettered, the first: %s", len(dead), dead[0].Error)
	}
	testenv.WaitFor(t, "an idle imports queue", func() bool {
		st, err := e.app.Stats(t.Context(), "imports")
		return err == nil && st.Ready+st.Running+st.Scheduled == 0
	})
	if err := next.Stop(30 * time.Second); err != nil {
		t.Errorf("the second worker did not stop gracefully: %v", err)
	}
}
