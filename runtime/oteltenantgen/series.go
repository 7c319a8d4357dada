package oteltenantgen

import (
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/tenantgen/tenantgen/runtime"
)

// seriesKey identifies the series of one queue, task and tenant label.
type seriesKey struct {
	queue, task, tenant string
}

// seriesCache keeps, for each seriesKey, what measuring a task of it
// takes: the attribute sets as the option slices that instruments take,
// and the name of its process span. One lookup per attempt start and one
// per settlement then allocate nothing of this package's once a key was
// seen. Its size is the metrics' cardinality, which the tenant labels
// bound.
type seriesCache struct {
	m sync.Map

	// recent holds the series last looked up, each in the slot its key
	// hashes to, in front of m: hashing the key's three strings with
	// maphash and comparing them costs a fraction of a sync.Map lookup,
	// whose hash of an interface holding the key was half its cost, and
	// every task makes two or three.
	seed   maphash.Seed
	recent [64]atomic.Pointer[series]
}

// series is what measuring the tasks of one seriesKey takes.
type series struct {
	key     seriesKey
	span    string   // the process span's name
	plain   attrOpts // queue, task and, with tenant labels, tenant
	outcome [len(outcomes)]attrOpts
	n       counts
}

// counts are the counters of one series, reported at each collection.
type counts struct {
	enqueued, started, succeeded, retried, dead, requeued atomic.Int64
	failed                                                [len(outcomes)]atomic.Int64 // by outcome
}

// outcomes are the outcomes that a series has attribute sets for, by
// outcomeIndex.
var outcomes = [...]runtime.Outcome{
	runtime.OutcomeSucceeded, runtime.OutcomeRetried, runtime.OutcomeDeadLettered, runtime.OutcomeRequeued,
}

// outcomeIndex returns the index of o in outcomes, or -1.
func outcomeIndex(o runtime.Outcome) int {
	switch o {
	case runtime.OutcomeSucceeded:
		return 0
	case runtime.OutcomeRetried:
		return 1
	case runtime.OutcomeDeadLettered:
		return 2
	case runtime.OutcomeRequeued:
		return 3
	}
	return -1
}

// attrOpts are the options of one attribute set, for observations and
// for histograms.
type attrOpts struct {
	observe []metric.ObserveOption
	record  []metric.RecordOption
}

func newAttrOpts(kvs ...attribute.KeyValue) attrOpts {
	opt := metric.WithAttributeSet(attribute.NewSet(kvs...))
	return attrOpts{observe: []metric.ObserveOption{opt}, record: []metric.RecordOption{opt}}
}

// withOutcome returns the attribute options of s with outcome o.
func (s *series) withOutcome(o runtime.Outcome) attrOpts {
	if i := outcomeIndex(o); i >= 0 {
		return s.outcome[i]
	}
	return s.plain // an outcome of a later runtime: counted without it
}

func (c *seriesCache) get(k seriesKey, tenant bool) *series {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteString(k.queue)
	h.WriteByte(0)
	h.WriteString(k.task)
	h.WriteByte(0)
	h.WriteString(k.tenant)
	slot := &c.recent[h.Sum64()%uint64(len(c.recent))]
	if s := slot.Load(); s != nil && s.key == k {
		return s
	}
	s := c.lookup(k, tenant)
	slot.Store(s)
	return s
}

// lookup returns the series of k from m, adding it if it is new.
func (c *seriesCache) lookup(k seriesKey, tenant bool) *series {
	if v, ok := c.m.Load(k); ok {
		return v.(*series)
	}
	kvs := make([]attribute.KeyValue, 0, 4)
	kvs = append(kvs, queueKey.String(k.queue), taskKey.String(k.task))
	if tenant {
		kvs = append(kvs, tenantKey.String(k.tenant))
	}
	// Copies: attribute.NewSet sorts the slice it is given.
	s := &series{key: k, span: "process " + k.queue, plain: newAttrOpts(slices.Clone(kvs)...)}
	for i, o := range outcomes {
		s.outcome[i] = newAttrOpts(append(slices.Clone(kvs), outcomeKey.String(string(o)))...)
	}
	v, _ := c.m.LoadOrStore(k, s)
	return v.(*series)
}

// series returns the series of a task of queue, task and tenant.
func (t *Telemetry) series(queue, task, tenant string) *series {
	label := ""
	if t.tenants != nil {
		label = t.tenants.label(tenant)
	}
	return t.cache.get(seriesKey{queue, task, label}, t.tenants != nil)
}
