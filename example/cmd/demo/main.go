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
// With -keep it then starts the worker and the web server again, prints
// the URL of the dashboard (/dashboard/ on the web server) and runs until
// Ctrl-C, keeping the namespace.
//
// Ctrl-C (SIGINT) or SIGTERM stops it at any point: it stops its
// processes, drops its namespace (unless -keep), removes its temporary
// directory and exits with 130 (143 for SIGTERM). A second Ctrl-C kills
// it at once.
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
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
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
	ctx := interruptible()
	d := &demo{s: s, keep: *keep, timeout: *timeout, workerBin: *workerBin, webBin: *webBin}
	ok, err := d.run(ctx)
	var sig signalError
	if errors.As(context.Cause(ctx), &sig) {
		fmt.Fprintf(os.Stderr, "demo: interrupted (%s); cleaned up\n", sig.String())
		os.Exit(128 + int(sig.Signal))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

// signalError is the cause of the demo's context once a signal stopped it.
type signalError struct{ syscall.Signal }

func (e signalError) String() string {
	if e.Signal == syscall.SIGINT {
		return "SIGINT"
	}
	return "SIGTERM"
}

func (e signalError) Error() string { return "interrupted by " + e.String() }

// interruptible returns a context that SIGINT or SIGTERM cancels, with a
// signalError as its cause. After the first signal, the next one has its
// default effect, so that a second Ctrl-C kills a cleanup that hangs.
func interruptible() context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		signal.Stop(sigs)
		cancel(signalError{s.(syscall.Signal)})
	}()
	return ctx
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

	metricsAddr string // where the worker serves /metrics

	sent   map[string]int // tasks enqueued by send, by tenant; "" for public ones
	checks []check
}

// run runs the demo until it ends or ctx is cancelled, and cleans up in
// either case.
func (d *demo) run(ctx context.Context) (ok bool, err error) {
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
	metricsEnv, err := d.metricsEnv()
	if err != nil {
		return false, err
	}
	step("starting a worker and the web server (logs in %s)", d.dir)
	if d.worker, err = procs.Start("worker", d.workerBin, filepath.Join(d.dir, "worker.log"), append(env, metricsEnv...)); err != nil {
		return false, err
	}
	if d.web, d.base, err = procs.StartWeb(d.webBin, filepath.Join(d.dir, "web.log"), env); err != nil {
		return false, err
	}
	fmt.Printf("    worker pid %d; web %s; dashboard %s/dashboard/\n", d.worker.Pid(), d.base, d.base)

	step("enqueueing through the web server")
	if err := d.send(ctx); err != nil {
		return false, err
	}

	step("waiting for the tasks")
	reports, shared, err := d.wait(ctx)
	if err != nil {
		return false, err
	}
	d.table(reports, shared)
	d.verify(ctx, reports, shared)
	d.printMetrics(ctx, reports)
	d.checkDashboard(ctx)

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
	if d.keep {
		if err := d.keepOpen(ctx); err != nil {
			return false, err
		}
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
