// Package example is the root of tenantgen's example application, a small
// multi-tenant invoicing service:
//
//   - billing holds the annotated tasks and the SQL migrations of the
//     tenant and shared schemas; tenant_tasks.gen.go is generated from it;
//   - service wires the application: settings from the environment, the
//     App of a worker or a web server, provisioning, the HTTP handler, and
//     its telemetry (OpenTelemetry SDK, Prometheus /metrics, traced SQL);
//   - cmd/worker runs the tasks, cmd/web enqueues them from HTTP requests,
//     and cmd/demo drives both end to end (scripts/demo.sh runs it).
//
// The end-to-end test of this package builds the commands, runs them as
// separate processes against real PostgreSQL and Redis, and kills a worker
// in the middle of a batch.
package example
