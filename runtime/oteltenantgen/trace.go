package oteltenantgen

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/tenantgen/tenantgen/runtime"
)

const schemaURL = semconv.SchemaURL

// The attributes of tenantgen's own, beside the semantic conventions'.
const (
	TaskKey    = attribute.Key("tenantgen.task")    // task name
	TenantKey  = attribute.Key("tenantgen.tenant")  // tenant ID; absent for a public task
	AttemptKey = attribute.Key("tenantgen.attempt") // attempt number, 1 for the first
	OutcomeKey = attribute.Key("tenantgen.outcome") // succeeded, retried, dead or requeued
)

// batchHeader marks the tasks of a batch larger than WithParentMax: their
// process spans link to the send span without being its children.
const batchHeader = "tg-batch"

var systemAttr = semconv.MessagingSystemKey.String("tenantgen")

// The span kinds as options, made once: each costs an allocation.
var (
	producerKind = trace.WithSpanKind(trace.SpanKindProducer)
	consumerKind = trace.WithSpanKind(trace.SpanKindConsumer)
)

// EnqueueMiddleware records a send span and the enqueued counts for every
// batch, and carries the span's context in each request's headers. Add it
// last to runtime.Config.EnqueueMiddleware (Instrument does): the requests
// without headers of their own share one header map, which no middleware
// after it may change.
func (t *Telemetry) EnqueueMiddleware(next runtime.EnqueueFunc) runtime.EnqueueFunc {
	return func(ctx context.Context, reqs []runtime.Request) ([]runtime.TaskID, error) {
		if len(reqs) == 0 {
			return next(ctx, reqs)
		}
		queue := t.queueOf(reqs[0])
		for _, r := range reqs[1:] {
			if t.queueOf(r) != queue {
				queue = "" // a batch of several queues: named by none
				break
			}
		}
		name := "send"
		attrs := []attribute.KeyValue{
			systemAttr, semconv.MessagingOperationTypeSend, semconv.MessagingOperationName("send"),
		}
		if queue != "" {
			name += " " + queue
			attrs = append(attrs, semconv.MessagingDestinationName(queue))
		}
		if len(reqs) > 1 {
			attrs = append(attrs, semconv.MessagingBatchMessageCount(len(reqs)))
		} else {
			attrs = append(attrs, TaskKey.String(reqs[0].Name))
			if reqs[0].Tenant != "" {
				attrs = append(attrs, TenantKey.String(reqs[0].Tenant))
			}
		}
		ctx, span := t.tracer.Start(ctx, name, producerKind, trace.WithAttributes(attrs...))
		defer span.End()
		reqs = t.inject(ctx, reqs)
		ids, err := next(ctx, reqs)
		if len(reqs) == 1 && len(ids) == 1 && ids[0] != "" {
			span.SetAttributes(semconv.MessagingMessageID(string(ids[0])))
		}
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		t.countEnqueued(ctx, reqs, ids, err)
		return ids, err
	}
}

// queueOf returns the queue that r goes to.
func (t *Telemetry) queueOf(r runtime.Request) string {
	if r.Queue == "" {
		return t.defaultQueue
	}
	return r.Queue
}

// inject returns reqs with the trace context of ctx in their headers: a
// copy, since the caller owns reqs and their header maps.
func (t *Telemetry) inject(ctx context.Context, reqs []runtime.Request) []runtime.Request {
	if len(reqs) > t.parentMax && !trace.SpanContextFromContext(ctx).IsSampled() {
		// The tasks of a batch start traces of their own, linked to the
		// send span: a link to a span that was not recorded leads
		// nowhere, and the headers would cost every task bytes and work.
		return reqs
	}
	carrier := propagation.MapCarrier{}
	t.prop.Inject(ctx, carrier)
	if len(carrier) == 0 {
		return reqs // not sampled, or nothing to propagate
	}
	if len(reqs) > t.parentMax {
		carrier[batchHeader] = strconv.Itoa(len(reqs))
	}
	out := make([]runtime.Request, len(reqs))
	for i, r := range reqs {
		if len(r.Headers) == 0 {
			// One map for every request without headers of its own: the
			// App only reads them, and this middleware is innermost.
			r.Headers = carrier
		} else {
			h := make(map[string]string, len(r.Headers)+len(carrier))
			maps.Copy(h, r.Headers)
			maps.Copy(h, carrier)
			r.Headers = h
		}
		out[i] = r
	}
	return out
}

// Start starts the process span of an attempt. It implements
// runtime.Observer.
func (t *Telemetry) Start(ctx context.Context, job *runtime.Job) context.Context {
	se := t.countStarted(job)
	ctx, _ = t.startProcess(ctx, job, se)
	return ctx
}

// startProcess starts the process span of job under ctx. Its attributes
// are set as it ends (Settled), all at once: the SDK then allocates them
// once, at their final size, where attributes set at the start and an
// outcome added at the end make it allocate them twice. Samplers and span
// processors' OnStart, which run inside Start, would not see attributes
// set after it either; exporters see them all.
func (t *Telemetry) startProcess(ctx context.Context, job *runtime.Job, se *series) (context.Context, trace.Span) {
	p := t.producers.of(job.Headers)
	ctx = p.context(ctx)
	return t.tracer.Start(ctx, se.span, p.startOptions(ctx)...)
}

// spanAttrs is the room for a process span's attributes.
type spanAttrs [9]attribute.KeyValue

// attrPool keeps the slices that process spans' attributes are built in:
// SetAttributes copies what it is given (the SDK into the span's own
// slice, exactly as large), so that a slice of this package's needs no
// allocation per attempt.
var attrPool = sync.Pool{New: func() any { return new(spanAttrs) }}

// setJobAttrs sets the attributes of job, settled with outcome, on span.
func setJobAttrs(span trace.Span, job *runtime.Job, outcome runtime.Outcome) {
	buf := attrPool.Get().(*spanAttrs)
	attrs := append(buf[:0],
		systemAttr, semconv.MessagingOperationTypeProcess, semconv.MessagingOperationName("process"),
		semconv.MessagingDestinationName(job.Queue), semconv.MessagingMessageID(string(job.ID)),
		TaskKey.String(job.Name), AttemptKey.Int(job.Attempt), OutcomeKey.String(string(outcome)),
	)
	if job.Tenant != "" {
		attrs = append(attrs, TenantKey.String(job.Tenant))
	}
	span.SetAttributes(attrs...)
	*buf = spanAttrs{} // no references kept from the pool
	attrPool.Put(buf)
}

// Settled ends the process span of a settled attempt, or records one for
// a task that never ran, and counts the outcome. It implements
// runtime.Observer.
func (t *Telemetry) Settled(ctx context.Context, s runtime.Settlement) {
	se := t.countSettled(ctx, s)
	if s.Job == nil {
		return // poison: nothing to name a span after
	}
	span := trace.SpanFromContext(ctx)
	if !s.Ran {
		_, span = t.startProcess(ctx, s.Job, se)
	}
	// Attributes only for a span that records: an unsampled attempt then
	// costs no attribute at all.
	if span.IsRecording() {
		setJobAttrs(span, s.Job, s.Outcome)
	}
	if s.Err != nil && s.Outcome != runtime.OutcomeRequeued {
		recordError(span, s.Err)
	}
	span.End()
}

// recordError records err on span: as an exception event with the stack
// of a panic, and as the span's status.
func recordError(span trace.Span, err error) {
	var pe *runtime.PanicError
	if errors.As(err, &pe) {
		span.AddEvent(semconv.ExceptionEventName, trace.WithAttributes(
			semconv.ExceptionType("panic"),
			semconv.ExceptionMessage(fmt.Sprint(pe.Value)),
			semconv.ExceptionStacktrace(string(pe.Stack)),
		))
		span.SetStatus(codes.Error, "panic: "+fmt.Sprint(pe.Value))
		return
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
}
