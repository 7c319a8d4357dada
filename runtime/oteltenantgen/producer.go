package oteltenantgen

import (
	"context"
	"hash/maphash"
	"slices"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// producers extracts what a task's headers say of its producer, and
// caches it: the tasks of one batch carry the same headers, so that
// parsing them (the traceparent, the baggage) and building the process
// span's options once per batch instead of once per attempt is what it
// saves. The cache is a few slots, each holding the last headers that
// hashed to it: a miss costs one Extract, as without a cache.
type producers struct {
	prop   propagation.TextMapPropagator
	fields []string // the headers prop reads; nil: prop is not cached
	seed   maphash.Seed
	slots  [16]atomic.Pointer[producer]
}

// w3cFields are the headers of the W3C propagators, which read exactly
// the fields they report. Other propagators may read more than their
// Fields (B3 reads both of its encodings), so that the headers they read
// cannot make a cache key: they are asked every time.
var w3cFields = []string{"traceparent", "tracestate", "baggage"}

// init makes p extract with prop.
func (p *producers) init(prop propagation.TextMapPropagator) {
	p.prop, p.seed = prop, maphash.MakeSeed()
	fields := prop.Fields()
	for _, f := range fields {
		if !slices.Contains(w3cFields, f) {
			return
		}
	}
	p.fields = fields
}

// producer is what the headers of a task say of its producer.
type producer struct {
	key  string // the values of the headers read, joined
	mask uint   // which of them were set; bit len(fields) for batchHeader

	bag    baggage.Baggage
	parent trace.SpanContext       // valid: the process span is its child
	opts   []trace.SpanStartOption // the process span's: kind, link, new root

	// orphan is opts without WithNewRoot, for a ctx without a span that
	// the process span could become a child of: WithNewRoot would cost
	// the SDK a context and a span to hide what is not there. Nil when
	// opts has no WithNewRoot.
	orphan []trace.SpanStartOption
}

// noProducer is the producer of a task without headers.
var noProducer = &producer{opts: []trace.SpanStartOption{consumerKind}}

// of returns the producer of a task with headers h.
func (p *producers) of(h map[string]string) *producer {
	if len(h) == 0 {
		return noProducer
	}
	if p.fields == nil {
		return p.extract(h)
	}
	key, mask := p.key(h)
	slot := &p.slots[maphash.String(p.seed, key)%uint64(len(p.slots))]
	if c := slot.Load(); c != nil && c.key == key && c.mask == mask {
		return c
	}
	c := p.extract(h)
	c.key, c.mask = key, mask
	slot.Store(c)
	return c
}

// key returns the values of the headers that prop reads, joined, and
// which of them are set, with batchHeader. With one header set (a
// traceparent alone), the key is its value and costs nothing.
func (p *producers) key(h map[string]string) (string, uint) {
	var mask uint
	key, n := "", 0
	for i, f := range p.fields {
		if v := h[f]; v != "" {
			mask |= 1 << i
			key, n = v, n+1
		}
	}
	if h[batchHeader] != "" {
		mask |= 1 << len(p.fields)
	}
	if n <= 1 {
		return key, mask
	}
	var b strings.Builder
	for _, f := range p.fields {
		b.WriteString(h[f])
		b.WriteByte(0)
	}
	return b.String(), mask
}

// extract asks the propagator what h says of the producer.
func (p *producers) extract(h map[string]string) *producer {
	ctx := p.prop.Extract(context.Background(), propagation.MapCarrier(h))
	c := &producer{bag: baggage.FromContext(ctx), opts: []trace.SpanStartOption{consumerKind}}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		c.opts = append(c.opts, trace.WithLinks(trace.Link{SpanContext: sc}))
		if h[batchHeader] == "" {
			c.parent = sc
		} else {
			c.orphan = slices.Clip(c.opts)
			c.opts = append(slices.Clone(c.opts), trace.WithNewRoot())
		}
	}
	// Clipped: the tasks share it, and a Tracer that appended to the
	// options it is given must not write into it.
	c.opts = slices.Clip(c.opts)
	return c
}

// startOptions returns the process span's options under ctx.
func (c *producer) startOptions(ctx context.Context) []trace.SpanStartOption {
	if c.orphan != nil && !trace.SpanContextFromContext(ctx).IsValid() {
		return c.orphan
	}
	return c.opts
}

// context returns ctx with the producer's baggage and, if the process span
// is its child, its span context.
func (c *producer) context(ctx context.Context) context.Context {
	if c.bag.Len() > 0 {
		ctx = baggage.ContextWithBaggage(ctx, c.bag)
	}
	if c.parent.IsValid() {
		ctx = trace.ContextWithRemoteSpanContext(ctx, c.parent)
	}
	return ctx
}
