// Command worker runs the example application's tasks until it receives
// SIGINT or SIGTERM, then shuts down gracefully: running tasks get the
// runtime's ShutdownGrace to finish, and tasks it had not started go back
// to the queue.
//
// It reads its configuration from the environment: TENANTGEN_REDIS_URL,
// TENANTGEN_DATABASE_URL, TENANTGEN_REPLICA_URL, TENANTGEN_NAMESPACE,
// TENANTGEN_CONCURRENCY, TENANTGEN_HEARTBEAT and TENANTGEN_WORKER_TTL (see
// package service). The tenants must have been provisioned, by
// example/cmd/demo or service.Setup.
//
// It is instrumented with OpenTelemetry (see docs/observability.md): with
// TENANTGEN_METRICS_ADDR it serves /metrics for Prometheus there, with
// TENANTGEN_TRACE_FILE it appends its spans to that file, and the lines
// that tasks log carry their task, tenant and trace.
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/tenantgen/tenantgen/example/service"
	"github.com/tenantgen/tenantgen/runtime/oteltenantgen"
)

func main() {
	log := slog.New(oteltenantgen.LogHandler(slog.NewTextHandler(os.Stderr, nil)))
	slog.SetDefault(log) // what tasks log with slog.InfoContext(ctx, ...)
	s, err := service.FromEnv()
	if err != nil {
		log.Error("invalid configuration", "err", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tel, err := service.NewTelemetry("worker")
	if err != nil {
		log.Error("telemetry", "err", err)
		os.Exit(1)
	}
	defer tel.Shutdown(context.Background())
	app, err := service.OpenInstrumentedWorker(ctx, s, log, tel)
	if err != nil {
		log.Error("open", "err", err)
		os.Exit(1)
	}
	defer app.Close()
	if addr := os.Getenv(service.EnvMetricsAddr); addr != "" {
		if addr, err = tel.ServeMetrics(app, addr); err != nil {
			log.Error("serve metrics", "err", err)
			os.Exit(1)
		}
		log.Info("serving metrics", "url", "http://"+addr+"/metrics")
	}
	log.Info("worker started", "namespace", s.Namespace, "concurrency", s.Concurrency, "pid", os.Getpid())
	if err := app.Run(ctx); err != nil {
		log.Error("worker stopped", "err", err)
		os.Exit(1)
	}
	log.Info("worker stopped")
}
