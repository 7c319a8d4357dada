// Command demo runs the example application end to end and checks it:
// it provisions the tenants acme, globex and initech in a fresh namespace,
// starts a worker and the web server as separate processes, sends a
// realistic mix of requests across the tenants (including a task that
// fails once and is retried, a charge that is refused into the dead letter
// set, a duplicate of a unique task and a fan-out to every tenant), waits
// for the tasks with a progress line, prints a table per tenant and exits
// 0 only if every check holds. It then stops its processes and drops its
// schemas and Redis keys, unless -keep is given.
//
// Usage:
//
//	demo [-worker bin -web bin] [-namespace ns] [-keep] [-timeout 60s]
//	demo -teardown -namespace ns
//
// Without -worker and -web it builds them with go build. The environment
// names the servers (TENANTGEN_REDIS_URL, TENANTGEN_DATABASE_URL; see
// package service); scripts/demo.sh finds or starts them first.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tenantgen/tenantgen/example/internal/procs"
	"github.com/tenantgen/tenantgen/example/service"
	"github.com/tenantgen/tenantgen/runtime"
)

func main() {
	workerBin := flag.String("worker", "", "worker binary (default: build example/cmd/worker)")
	webBin := flag.String("web", "", "web binary (default: build example/cmd/web)")
	namespace := flag.String("namespace", "", "namespace of schemas and Redis keys (default: a fresh tgdemo_<random>)")
	keep := flag.Bool("keep", false, "keep the schemas and Redis keys after the demo")
	teardown := flag.Bool("teardown", false, "only drop the schemas and Redis keys of -namespace")
	timeout := flag.Duration("timeout", 60*time.Second, "how long to wait for the tasks")
	flag.Parse()

	s, err := service.FromEnv()
	if err != nil {
		fatal(err)
	}
	if *teardown {
		if *namespace == "" {
			fatal(errors.New("-teardown needs -namespace"))
		}
		s.Namespace = *namespace
		if err := service.Teardown(context.Background(), s); err != nil {
			fatal(err)
		}
		fmt.Printf("dropped namespace %s\n", s.Namespace)
		return
	}
	s.Namespace = *namespace
	if s.Namespace == "" {
		s.Namespace = "tgdemo_" + strings.ToLower(rand.Text()[:6])
	}
	d := &demo{s: s, keep: *keep, timeout: *timeout, workerBin: *workerBin, webBin: *webBin}
	ok, err := d.run()
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "demo: %v\n", err)
	os.Exit(2)
}

func step(format string, args ...any) { fmt.Printf("==> "+format+"\n", args...) }

type demo struct {
	s                 service.Settings
	keep              bool
	timeout           time.Duration
	workerBin, webBin string

	app    *runtime.App
	dir    string // logs and binaries
	worker *procs.Proc
	web    *procs.Proc
	base   string // web's URL

	checks []check
}

// check is one verified claim of the demo.
type check struct {
	ok   bool
	what string
}

func (d *demo) check(ok bool, format string, args ...any) {
	d.checks = append(d.checks, check{ok, fmt.Sprintf(format, args...)})
}

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

func (d *demo) run() (ok bool, err error) {
	ctx := context.Background()
	d.dir, err = os.MkdirTemp("", "tenantgen-demo-")
	if err != nil {
		return false, err
	}
	defer func() {
		if cerr := d.cleanup(ctx, ok && err == nil); err == nil && cerr != nil {
			err = cerr
		}
	}()

	step("provisioning tenants %s in namespace %s", tenantList(), d.s.Namespace)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if d.app, err = service.OpenClient(ctx, d.s, quiet); err != nil {
		return false, err
	}
	if err := service.Setup(ctx, d.app, d.s); err != nil {
		return false, err
	}
	for _, t := range service.Tenants {
		fmt.Printf("    %-8s schema %s\n", t.ID, d.s.TenantSchema(t.ID))
	}

	if d.workerBin == "" || d.webBin == "" {
		step("building example/cmd/worker and example/cmd/web")
		if d.workerBin, d.webBin, err = procs.Build(ctx, d.dir); err != nil {
			return false, err
		}
	}
	env := []string{service.EnvNamespace + "=" + d.s.Namespace}
	step("starting a worker and the web server (logs in %s)", d.dir)
	if d.worker, err = procs.Start("worker", d.workerBin, filepath.Join(d.dir, "worker.log"), env); err != nil {
		return false, err
	}
	if d.web, d.base, err = procs.StartWeb(d.webBin, filepath.Join(d.dir, "web.log"), env); err != nil {
		return false, err
	}
	fmt.Printf("    worker pid %d; web %s\n", d.worker.Pid(), d.base)

	step("enqueueing through the web server")
	if err := d.send(); err != nil {
		return false, err
	}

	step("waiting for the tasks")
	reports, shared, err := d.wait(ctx)
	if err != nil {
		return false, err
	}
	d.table(reports, shared)
	d.verify(ctx, reports, shared)

	step("stopping the worker and the web server (SIGTERM)")
	err = d.web.Stop(15 * time.Second)
	d.check(err == nil, "the web server stopped gracefully (%v)", errOrNone(err))
	err = d.worker.Stop(30 * time.Second)
	d.check(err == nil, "the worker stopped gracefully (%v)", errOrNone(err))

	fmt.Println()
	ok = true
	for _, c := range d.checks {
		mark := "ok  "
		if !c.ok {
			mark, ok = "FAIL", false
		}
		fmt.Printf("%s %s\n", mark, c.what)
	}
	if !ok {
		fmt.Printf("\nworker log (%s), last lines:\n%s\n", d.worker.Log, d.worker.Tail(20))
	}
	return ok, nil
}

func tenantList() string {
	var ids []string
	for _, t := range service.Tenants {
		ids = append(ids, t.ID)
	}
	return strings.Join(ids, ", ")
}

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

func errOrNone(err error) any {
	if err == nil {
		return "as expected"
	}
	return err
}

// customer is a customer as the import endpoint takes it.
type customer struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
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

// wait polls the report until every expected task has settled, printing
// progress, or the timeout passes.
func (d *demo) wait(ctx context.Context) ([]service.TenantReport, service.SharedReport, error) {
	wantRun, wantDead := expectedTotals()
	start := time.Now()
	deadline := start.Add(d.timeout)
	tty := isTerminal()
	last := ""
	for {
		reports, shared, err := service.Report(ctx, d.app, d.s)
		if err != nil {
			return nil, shared, err
		}
		run, retries, dead := 0, 0, shared.Dead
		for _, r := range reports {
			run, retries, dead = run+r.TasksRun, retries+r.Retries, dead+r.Dead
		}
		done := run >= wantRun && dead >= wantDead && shared.RateRefreshes >= 1
		line := fmt.Sprintf("    %d/%d tasks done, %d retried, %d dead letters, %d public", run, wantRun, retries, dead, shared.RateRefreshes)
		if tty {
			fmt.Printf("\r%s (%.1fs) ", line, time.Since(start).Seconds())
		} else if line != last {
			fmt.Println(line)
		}
		last = line
		if done || time.Now().After(deadline) {
			if tty {
				fmt.Println()
			}
			d.check(done, "every task settled within %v (took %.1fs)", d.timeout, time.Since(start).Seconds())
			return reports, shared, nil
		}
		if d.worker.Exited() {
			return nil, shared, fmt.Errorf("the worker exited:\n%s", d.worker.Tail(20))
		}
		time.Sleep(100 * time.Millisecond) // a polling interval, bounded by the deadline above
	}
}

func isTerminal() bool {
	fi, err := os.Stdout.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// table prints one line per tenant and one for the shared schema.
func (d *demo) table(reports []service.TenantReport, shared service.SharedReport) {
	fmt.Println()
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "tenant\tschema\ttasks run\tretries\tdead letters\trows in its schema\tran in its own schema")
	for _, r := range reports {
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%d of %d\n", r.Tenant, r.Schema, r.TasksRun, r.Retries, r.Dead, r.RowsTotal(), r.TasksRun-r.Foreign, r.TasksRun)
	}
	fmt.Fprintf(w, "(public)\t%s\t%d\t%d\t%d\t%d\t-\n", d.s.SharedSchema(), shared.RateRefreshes, 0, shared.Dead, shared.Rates+shared.RateRefreshes)
	w.Flush()
	fmt.Println()
}

// verify checks the reports against the plans, and that the queues are
// empty.
func (d *demo) verify(ctx context.Context, reports []service.TenantReport, shared service.SharedReport) {
	byTenant := map[string]service.TenantReport{}
	for _, r := range reports {
		byTenant[r.Tenant] = r
	}
	for _, p := range plans {
		r := byTenant[p.tenant]
		want := p.expected()
		wantRun := 0
		for _, n := range want {
			wantRun += n
		}
		wantDead := 0
		if p.badCharge {
			wantDead = 1
		}
		d.check(r.TasksRun == wantRun && maps.Equal(r.Rows, want), "%s: %d tasks ran and wrote %d rows in schema %s, table by table as sent (rows %v)", p.tenant, r.TasksRun, r.RowsTotal(), r.Schema, r.Rows)
		d.check(r.Foreign == 0 && r.TasksRun > 0, "%s: every task recorded tenant %s and current_schema() %s", p.tenant, p.tenant, r.Schema)
		d.check(r.Retries == 1 && r.Rows["ledger_syncs"] == 1, "%s: SyncLedger failed its first attempt and succeeded on the retry (%d retries)", p.tenant, r.Retries)
		d.check(r.Dead == wantDead, "%s: %d dead letters, want %d", p.tenant, r.Dead, wantDead)
		d.check(r.Rows["digests"] == 1, "%s: the DispatchDigests fan-out reached it", p.tenant)
	}
	d.check(shared.RateRefreshes >= 1 && shared.Rates == 3 && shared.Dead == 0, "the public RefreshRates ran, in the shared schema %s (%d rates)", d.s.SharedSchema(), shared.Rates)
	if dead, err := d.app.DeadTasks(ctx, "billing", 10); err == nil && len(dead) == 1 {
		d.check(strings.Contains(dead[0].Error, "not positive"), "the dead letter is initech's refused charge: %s", dead[0].Error)
	}
	idle := true
	for q := range service.Queues {
		st, err := d.app.Stats(ctx, q)
		if err != nil || st.Ready+st.Running+st.Scheduled > 0 {
			idle = false
		}
	}
	d.check(idle, "every queue is empty: nothing left ready, running or scheduled")
}

// cleanup stops the processes and, unless asked to keep them, drops the
// namespace's schemas and Redis keys.
func (d *demo) cleanup(ctx context.Context, passed bool) error {
	var errs []error
	for _, p := range []*procs.Proc{d.web, d.worker} {
		if p != nil && !p.Exited() {
			p.Kill()
		}
	}
	if d.app != nil {
		d.app.Close()
	}
	if d.keep {
		step("kept namespace %s; drop it with: go run ./example/cmd/demo -teardown -namespace %s", d.s.Namespace, d.s.Namespace)
	} else {
		step("cleaning up: dropping the schemas and Redis keys of %s", d.s.Namespace)
		if err := service.Teardown(ctx, d.s); err != nil {
			errs = append(errs, err)
			fmt.Printf("    cleanup failed; retry with: go run ./example/cmd/demo -teardown -namespace %s\n", d.s.Namespace)
		}
	}
	if passed && !d.keep {
		os.RemoveAll(d.dir)
	} else {
		fmt.Printf("    logs kept in %s\n", d.dir)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if passed {
		step("demo passed")
	} else {
		step("demo FAILED")
	}
	return nil
}
