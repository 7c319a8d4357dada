package oteltenantgen

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// seen is what a producer makes of a process span, in comparable form.
type seen struct {
	Kind    trace.SpanKind
	Links   []string // trace IDs
	NewRoot bool
	Parent  string // trace ID of the parent in the ctx; "" for none
	Baggage string
}

func seenOf(p *producer) seen {
	cfg := trace.NewSpanStartConfig(p.opts...)
	s := seen{Kind: cfg.SpanKind(), NewRoot: cfg.NewRoot()}
	for _, l := range cfg.Links() {
		s.Links = append(s.Links, l.SpanContext.TraceID().String())
	}
	ctx := p.context(context.Background())
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		s.Parent = sc.TraceID().String()
	}
	s.Baggage = baggage.FromContext(ctx).String()
	return s
}

// traceparent returns a sampled traceparent of trace i.
func traceparent(i int) string {
	return fmt.Sprintf("00-%032x-%016x-01", i+1, i+1)
}

func TestProducersCache(t *testing.T) {
	w3c := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	tid := func(i int) string { return fmt.Sprintf("%032x", i+1) }
	tests := []struct {
		name    string
		headers map[string]string
		want    seen
	}{
		{"no headers", nil, seen{Kind: trace.SpanKindConsumer}},
		{"other headers only", map[string]string{"x-request": "1"}, seen{Kind: trace.SpanKindConsumer}},
		{"sent alone", map[string]string{"traceparent": traceparent(1)},
			seen{Kind: trace.SpanKindConsumer, Links: []string{tid(1)}, Parent: tid(1)}},
		{"of a batch", map[string]string{"traceparent": traceparent(1), batchHeader: "100"},
			seen{Kind: trace.SpanKindConsumer, Links: []string{tid(1)}, NewRoot: true}},
		{"another trace", map[string]string{"traceparent": traceparent(2)},
			seen{Kind: trace.SpanKindConsumer, Links: []string{tid(2)}, Parent: tid(2)}},
		{"with baggage", map[string]string{"traceparent": traceparent(1), "baggage": "plan=gold"},
			seen{Kind: trace.SpanKindConsumer, Links: []string{tid(1)}, Parent: tid(1), Baggage: "plan=gold"}},
		{"with other baggage", map[string]string{"traceparent": traceparent(1), "baggage": "plan=free"},
			seen{Kind: trace.SpanKindConsumer, Links: []string{tid(1)}, Parent: tid(1), Baggage: "plan=free"}},
		{"baggage alone", map[string]string{"baggage": "plan=gold"},
			seen{Kind: trace.SpanKindConsumer, Baggage: "plan=gold"}},
		{"bad traceparent", map[string]string{"traceparent": "00-bad"}, seen{Kind: trace.SpanKindConsumer}},
	}
	var p producers
	p.init(w3c)
	if p.fields == nil {
		t.Fatal("W3C propagators are not cached")
	}
	// Twice over: the second pass reads the cache the first filled, and
	// each case's headers evict the previous ones' where they share a slot.
	for pass := range 2 {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/pass=%d", tt.name, pass), func(t *testing.T) {
				if diff := cmp.Diff(tt.want, seenOf(p.of(tt.headers))); diff != "" {
					t.Errorf("producer (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestProducersCacheManyTraces(t *testing.T) {
	var p producers
	p.init(propagation.TraceContext{})
	// More traces than slots, in turn, from several goroutines (as the
	// worker's handlers are): every lookup must see its own.
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for round := range 3 {
				for i := range 3 * len(p.slots) {
					i := (i + g*7) % (3 * len(p.slots))
					got := seenOf(p.of(map[string]string{"traceparent": traceparent(i)})).Parent
					if want := fmt.Sprintf("%032x", i+1); got != want {
						t.Errorf("goroutine %d, round %d, trace %d: parent %s, want %s", g, round, i, got, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// b3ish reads a header besides the one it reports in Fields, as the B3
// propagator does.
type b3ish struct{ propagation.TraceContext }

func (b3ish) Fields() []string { return []string{"b3"} }

func (b b3ish) Extract(ctx context.Context, c propagation.TextMapCarrier) context.Context {
	return b.TraceContext.Extract(ctx, c)
}

func TestProducersNotCachedForOtherPropagators(t *testing.T) {
	var p producers
	p.init(b3ish{})
	if p.fields != nil {
		t.Fatalf("fields %q: a propagator that is not W3C's is cached", p.fields)
	}
	for i := range 3 {
		got := seenOf(p.of(map[string]string{"traceparent": traceparent(i)})).Parent
		if want := fmt.Sprintf("%032x", i+1); got != want {
			t.Errorf("trace %d: parent %s, want %s", i, got, want)
		}
	}
}

// TestProducerNewRoot checks that the process span of a task of a batch
// starts a trace of its own, linked to the send span, whether or not the
// worker's ctx carries a span (WithNewRoot is left out only without one).
func TestProducerNewRoot(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)).Tracer("test")
	var p producers
	p.init(propagation.TraceContext{})
	c := p.of(map[string]string{"traceparent": traceparent(1), batchHeader: "100"})
	worker, ws := tracer.Start(context.Background(), "worker")
	defer ws.End()
	for _, tt := range []struct {
		name string
		ctx  context.Context
	}{
		{"bare ctx", context.Background()},
		{"ctx with a span", worker},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := c.context(tt.ctx)
			_, span := tracer.Start(ctx, "process", c.startOptions(ctx)...)
			span.End()
			ended := rec.Ended()
			got := ended[len(ended)-1]
			if got.Parent().IsValid() {
				t.Errorf("process span has parent %v, want a new root", got.Parent().SpanID())
			}
			if got.SpanContext().TraceID() == ws.SpanContext().TraceID() {
				t.Error("process span is in the worker's trace")
			}
			if len(got.Links()) != 1 || got.Links()[0].SpanContext.TraceID().String() != fmt.Sprintf("%032x", 2) {
				t.Errorf("process span's links %v, want one to the send span", got.Links())
			}
		})
	}
}
