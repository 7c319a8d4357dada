// Command web is the example application's HTTP server. It resolves the
// tenant of each request from its X-Tenant header or its subdomain and
// enqueues tasks for it with the generated billing.Enqueue functions,
// answering with the IDs of the tasks as JSON (see service.Handler for
// the endpoints). It stops gracefully on SIGINT or SIGTERM.
//
// Usage:
//
//	web [-addr 127.0.0.1:8080]
//
// With port 0 it picks a free port. Once it listens, it prints
// "listening on http://ADDR" on stdout. The environment configures it as
// it does example/cmd/worker.
//
// It also serves tenantgen's dashboard at /dashboard/ (package
// runtime/dashboard), behind HTTP basic authentication when
// TENANTGEN_DASHBOARD_USER and TENANTGEN_DASHBOARD_PASSWORD are set.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tenantgen/tenantgen/example/service"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*addr, log); err != nil {
		log.Error("web stopped", "err", err)
		os.Exit(1)
	}
}

func run(addr string, log *slog.Logger) error {
	s, err := service.FromEnv()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tel, err := service.NewTelemetry("web") // traces each request into its enqueues (docs/observability.md)
	if err != nil {
		return err
	}
	defer tel.Shutdown(context.Background())
	app, err := service.OpenInstrumentedClient(ctx, s, log, tel)
	if err != nil {
		return err
	}
	defer app.Close()

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: withDashboard(app, tel.Handler(service.Handler(app)), log), ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("web stopped")
	return nil
}
