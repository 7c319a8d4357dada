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
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/tenantgen/tenantgen/example/service"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	s, err := service.FromEnv()
	if err != nil {
		log.Error("invalid configuration", "err", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app, err := service.OpenWorker(ctx, s, log)
	if err != nil {
		log.Error("open", "err", err)
		os.Exit(1)
	}
	defer app.Close()
	log.Info("worker started", "namespace", s.Namespace, "concurrency", s.Concurrency, "pid", os.Getpid())
	if err := app.Run(ctx); err != nil {
		log.Error("worker stopped", "err", err)
		os.Exit(1)
	}
	log.Info("worker stopped")
}
