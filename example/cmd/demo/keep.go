package main

import (
	"context"
	"fmt"
	"path/filepath"

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
