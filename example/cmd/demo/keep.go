package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/tenantgen/tenantgen/example/internal/procs"
	"github.com/tenantgen/tenantgen/example/service"
)

// keepOpen, with -keep, starts a worker and the web server again once the
// checks are done, prints the URL of the dashboard the web server mounts,
// and waits for Ctrl-C: the tenants, their tasks and the dead letter of
// the run stay there to look at and act on. cleanup stops the processes.
func (d *demo) keepOpen(ctx context.Context) error {
	env := []string{service.EnvNamespace + "=" + d.s.Namespace}
	var err error
	if d.worker, err = procs.Start("worker", d.workerBin, filepath.Join(d.dir, "worker-kept.log"), env); err != nil {
		return err
	}
	if d.web, d.base, err = procs.StartWeb(d.webBin, filepath.Join(d.dir, "web-kept.log"), env); err != nil {
		return err
	}
	fmt.Println()
	step("kept running (-keep): the dashboard is at %s/dashboard/", d.base)
	fmt.Printf("    the worker and the web server run until Ctrl-C; the namespace %s is kept\n", d.s.Namespace)
	<-ctx.Done()
	return nil
}

// checkDashboard checks that the web server serves the dashboard, and
// that it shows the dead letter of the run on the page of its tenant.
func (d *demo) checkDashboard(ctx context.Context) {
	page, err := d.get(ctx, "/dashboard/tenants/initech")
	d.check(err == nil && strings.Contains(page, "Tenant initech") && strings.Contains(page, "Requeue task "),
		"the dashboard at /dashboard/ shows initech's dead task with its Requeue button (%v)", errOrNone(err))
}

// get fetches path from the web server and returns the body of a 200.
func (d *demo) get(ctx context.Context, path string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", d.base+path, nil)
	if err != nil {
		return "", err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", path, res.Status)
	}
	return string(b), nil
}
