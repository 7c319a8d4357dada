package oteltenantgen_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tenantgen/tenantgen/runtime"
	"github.com/tenantgen/tenantgen/runtime/oteltenantgen"
)

// TestTraceEnqueueToProcess checks the spans of a task enqueued alone
// inside a request's span: a send span, child of the request's, and a
// process span, child of the send span and linked to it, whose ctx the
// task runs with.
func TestTraceEnqueueToProcess(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *runtime.Config) { c.Queues = map[string]int{"billing": 1} })
	var mu sync.Mutex
	var inTask trace.SpanContext
	var headers map[string]string
	task := runtime.NewTask(runtime.TaskSpec{Name: "tr.invoice", Queue: "billing"}, func(ctx context.Context, _ runtime.NoArgs) error {
		job, _ := runtime.JobFrom(ctx)
		mu.Lock()
		defer mu.Unlock()
		inTask, headers = trace.SpanContextFromContext(ctx), job.Headers
		return nil
	})
	b.register(t, task)
	b.run(t)
	ctx, web := b.tp.Tracer("test").Start(runtime.WithTenant(t.Context(), "acme"), "POST /invoices")
	id, err := task.Enqueue(ctx, b.app, runtime.NoArgs{}, runtime.Header("x-request", "r1"))
	web.End()
	if err != nil {
		t.Fatal(err)
	}
	send := b.waitSpans(t, "send billing", 1)[0]
	process := b.waitSpans(t, "process billing", 1)[0]

	if send.SpanKind() != trace.SpanKindProducer || process.SpanKind() != trace.SpanKindConsumer {
		t.Errorf("kinds: send %v, process %v; want producer, consumer", send.SpanKind(), process.SpanKind())
	}
	if send.Parent().SpanID() != web.SpanContext().SpanID() {
		t.Errorf("send span's parent is %v, want the request's span %v", send.Parent().SpanID(), web.SpanContext().SpanID())
	}
	if process.Parent().SpanID() != send.SpanContext().SpanID() || process.SpanContext().TraceID() != web.SpanContext().TraceID() {
		t.Errorf("process span is not a child of the send span in the request's trace")
	}
	if links := process.Links(); len(links) != 1 || links[0].SpanContext.SpanID() != send.SpanContext().SpanID() {
		t.Errorf("process span's links = %v, want one to the send span", links)
	}
	mu.Lock()
	if inTask.SpanID() != process.SpanContext().SpanID() {
		t.Errorf("the task's ctx carries span %v, want the process span %v", inTask.SpanID(), process.SpanContext().SpanID())
	}
	if headers["traceparent"] == "" || headers["x-request"] != "r1" {
		t.Errorf("the task's headers %v lack the traceparent or the caller's header", headers)
	}
	mu.Unlock()

	wantSend := map[string]string{
		"messaging.system": "tenantgen", "messaging.operation.type": "send", "messaging.operation.name": "send",
		"messaging.destination.name": "billing", "messaging.message.id": string(id),
		"tenantgen.task": "tr.invoice", "tenantgen.tenant": "acme",
	}
	if diff := cmp.Diff(wantSend, attrsOf(send)); diff != "" {
		t.Errorf("send span attributes (-want +got):\n%s", diff)
	}
	wantProcess := map[string]string{
		"messaging.system": "tenantgen", "messaging.operation.type": "process", "messaging.operation.name": "process",
		"messaging.destination.name": "billing", "messaging.message.id": string(id),
		"tenantgen.task": "tr.invoice", "tenantgen.tenant": "acme", "tenantgen.attempt": "1", "tenantgen.outcome": "succeeded",
	}
	if diff := cmp.Diff(wantProcess, attrsOf(process)); diff != "" {
		t.Errorf("process span attributes (-want +got):\n%s", diff)
	}
}

// TestTraceBatch checks that a batch makes one send span, and that its
// tasks' process spans start traces of their own, each linked to it.
func TestTraceBatch(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	task := runtime.NewTask(runtime.TaskSpec{Name: "tr.digest"}, func(context.Context, runtime.NoArgs) error { return nil })
	b.register(t, task)
	b.run(t)
	var reqs []runtime.Request
	for _, tenant := range []string{"acme", "globex", "initech", "acme", "globex"} {
		reqs = append(reqs, runtime.Request{Name: "tr.digest", Tenant: tenant, Args: []byte("[]")})
	}
	if _, err := b.app.EnqueueMany(t.Context(), reqs); err != nil {
		t.Fatal(err)
	}
	send := b.waitSpans(t, "send default", 1)
	if len(send) != 1 {
		t.Fatalf("%d send spans, want 1 for the batch", len(send))
	}
	if got := attrsOf(send[0])["messaging.batch.message_count"]; got != "5" {
		t.Errorf("messaging.batch.message_count = %q, want 5", got)
	}
	process := b.waitSpans(t, "process default", 5)
	tenants := map[string]int{}
	for _, p := range process {
		if p.Parent().IsValid() {
			t.Errorf("process span of a batch has parent %v, want a new root", p.Parent().SpanID())
		}
		if links := p.Links(); len(links) != 1 || links[0].SpanContext.SpanID() != send[0].SpanContext().SpanID() {
			t.Errorf("process span's links = %v, want one to the send span", links)
		}
		tenants[attrsOf(p)["tenantgen.tenant"]]++
	}
	if diff := cmp.Diff(map[string]int{"acme": 2, "globex": 2, "initech": 1}, tenants); diff != "" {
		t.Errorf("process spans by tenant (-want +got):\n%s", diff)
	}
}

// TestTraceFailures checks the process spans of a retry, a dead letter, a
// panic and a task dead-lettered before it started.
func TestTraceFailures(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	var mu sync.Mutex
	runs := 0
	tasks := []*runtime.Task[runtime.NoArgs]{
		runtime.NewTask(runtime.TaskSpec{Name: "tr.flaky", Retries: 2}, func(context.Context, runtime.NoArgs) error {
			mu.Lock()
			defer mu.Unlock()
			if runs++; runs == 1 {
				return errors.New("flaky once")
			}
			return nil
		}),
		runtime.NewTask(runtime.TaskSpec{Name: "tr.broken"}, func(context.Context, runtime.NoArgs) error {
			return runtime.Permanent(errors.New("broken for good"))
		}),
		runtime.NewTask(runtime.TaskSpec{Name: "tr.panics", Retries: runtime.NoRetries}, func(context.Context, runtime.NoArgs) error {
			panic("boom")
		}),
		runtime.NewTask(runtime.TaskSpec{Name: "tr.late"}, func(context.Context, runtime.NoArgs) error { return nil }),
	}
	ctx := runtime.WithTenant(t.Context(), "globex")
	for _, task := range tasks {
		b.register(t, task)
		var opts []runtime.EnqueueOption
		if task.Spec().Name == "tr.late" {
			opts = append(opts, runtime.Deadline(time.Now().Add(-time.Second)))
		}
		if _, err := task.Enqueue(ctx, b.app, runtime.NoArgs{}, opts...); err != nil {
			t.Fatal(err)
		}
	}
	b.run(t)
	spans := b.waitSpans(t, "process default", 5)

	type row struct {
		Task, Attempt, Outcome, Tenant string
		Status                         codes.Code
		Panic                          bool
	}
	var got []row
	for _, s := range spans {
		a := attrsOf(s)
		panicked := false
		for _, e := range s.Events() {
			if e.Name == "exception" {
				for _, kv := range e.Attributes {
					if kv.Key == "exception.stacktrace" && kv.Value.AsString() != "" {
						panicked = true
					}
				}
			}
		}
		got = append(got, row{a["tenantgen.task"], a["tenantgen.attempt"], a["tenantgen.outcome"], a["tenantgen.tenant"], s.Status().Code, panicked})
	}
	sortRows(got, func(r row) string { return r.Task + r.Attempt })
	want := []row{
		{"tr.broken", "1", "dead", "globex", codes.Error, false},
		{"tr.flaky", "1", "retried", "globex", codes.Error, false},
		{"tr.flaky", "2", "succeeded", "globex", codes.Unset, false},
		{"tr.late", "1", "dead", "globex", codes.Error, false},
		{"tr.panics", "1", "dead", "globex", codes.Error, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("process spans (-want +got):\n%s", diff)
	}
	for _, s := range spans {
		if a := attrsOf(s); a["tenantgen.task"] == "tr.flaky" && len(s.Links()) != 1 {
			t.Errorf("attempt %s of tr.flaky has %d links, want 1 to its send span", a["tenantgen.attempt"], len(s.Links()))
		}
	}
}

// TestInjectUnsampled checks that an unsampled send span is propagated to
// a task sent alone (so that its worker honours the decision) and not to
// the tasks of a batch, which start traces of their own.
func TestInjectUnsampled(t *testing.T) {
	t.Parallel()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	tel := oteltenantgen.New(oteltenantgen.WithTracerProvider(tp))
	var got []map[string]string
	enqueue := tel.EnqueueMiddleware(func(_ context.Context, reqs []runtime.Request) ([]runtime.TaskID, error) {
		got = nil
		for _, r := range reqs {
			got = append(got, r.Headers)
		}
		return make([]runtime.TaskID, len(reqs)), nil
	})
	req := runtime.Request{Name: "t", Tenant: "acme", Args: []byte("[]")}
	enqueue(t.Context(), []runtime.Request{req})
	if tp := got[0]["traceparent"]; !strings.HasSuffix(tp, "-00") {
		t.Errorf("a task sent alone has traceparent %q, want an unsampled one", tp)
	}
	enqueue(t.Context(), []runtime.Request{req, req})
	for i, h := range got {
		if len(h) != 0 {
			t.Errorf("task %d of an unsampled batch has headers %v, want none", i, h)
		}
	}
}
