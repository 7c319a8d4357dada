// Package oteltenantgen instruments a tenantgen App with OpenTelemetry:
// traces that follow a task from its enqueue into every attempt, metrics
// by queue, task and outcome (and by tenant, where bounded), and log lines
// that carry the task, the tenant and the trace. It uses the OpenTelemetry
// API only; the application chooses the SDK and exporters (Prometheus,
// OTLP), and without them every call is a no-op.
//
// One line instruments a Config, before runtime.Open:
//
//	tel := oteltenantgen.Instrument(&cfg) // global providers, or WithTracerProvider, WithMeterProvider
//
// Instrument sets cfg.Observer and appends to cfg.EnqueueMiddleware; the
// runtime itself imports no OpenTelemetry package. After Open,
// tel.ObserveQueues(app, queues...) adds the gauges of queue depth and
// of the age of the oldest ready task, and tel.ObserveOutbox(app) those of
// the outbox of transactional enqueues, its rows and their age.
//
// # Traces
//
// Spans follow the OpenTelemetry semantic conventions for messaging,
// version 1.40.0 (go.opentelemetry.io/otel/semconv/v1.40.0), with
// messaging.system "tenantgen":
//
//   - A PRODUCER span "send <queue>" per enqueued batch (one for Enqueue,
//     one per EnqueueMany call, one per round trip of EnqueueEachTenant and
//     of a scheduler tick), child of the caller's span. Its W3C trace
//     context goes into every request's headers (traceparent, tracestate).
//   - A CONSUMER span "process <queue>" per attempt, started before the
//     tenant is resolved, with a link to the producer's context. A task
//     sent alone is also its child, so that one trace runs from the web
//     request through the enqueue into the task and its SQL; the tasks of
//     a larger batch (more than WithParentMax, default 1) start traces of
//     their own, linked to the send span, so that a fan-out to 10,000
//     tenants makes 10,000 linked traces, not one trace of 10,000 spans.
//     Errors set the span's status; a panic is recorded as an exception
//     event with its stack; the outcome is the tenantgen.outcome attribute.
//   - A task dead-lettered without running (deadline passed, bad
//     signature, MaxInterrupts) gets a short "process <queue>" span with the
//     error, linked the same way.
//
// The tenant is on every span (tenantgen.tenant): a trace is one event,
// so it costs no cardinality.
//
// # Metrics
//
// Counters tenantgen.tasks.enqueued, .started, .succeeded, .failed
// (tenantgen outcome retried or dead), .retried, .dead_lettered and
// .requeued, histograms tenantgen.task.duration and
// tenantgen.task.start_latency in seconds, and, with ObserveQueues, gauges
// tenantgen.queue.depth (by state) and tenantgen.queue.oldest_age, and,
// with ObserveOutbox, gauges tenantgen.outbox.rows and
// tenantgen.outbox.oldest_age. Their
// attributes are queue, task and outcome, the keys of the App's log
// lines. The tenant is an attribute only when MetricTenants or
// MetricTopTenants says which tenants to name: every other tenant is
// counted as "other", so that ten thousand tenants never make ten
// thousand series per metric.
//
// # Logs
//
// LogHandler wraps a slog.Handler so that lines logged with a task's ctx
// carry task_id, task, tenant, queue and attempt (runtime.LogHandler) and
// trace_id and span_id.
package oteltenantgen
