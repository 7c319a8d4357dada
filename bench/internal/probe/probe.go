// Package probe records, inside a worker process, when each benchmark task
// starts and ends, whichever queue runs it. Task bodies of every arm call
// Start and Done; the worker reports a phase once all of its tasks are done.
package probe

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Phases of a benchmark workload. Each task carries its phase in its
// arguments, so that one worker process can serve them one after another.
const (
	Backlog = iota // tasks enqueued before the worker started
	Latency        // single tasks enqueued one at a time on an idle worker
	Live           // tasks enqueued while the worker runs (end to end)
	Fanout         // one task per tenant
	Noisy          // fairness: one tenant's backlog, enqueued before the worker started
	Quiet          // fairness: other tenants' single tasks, enqueued while Noisy drains
	Even           // fairness: the same tasks spread evenly over the tenants (no skew)
	NumPhases
)

// PhaseNames names the phases in reports.
var PhaseNames = [NumPhases]string{"backlog", "latency", "live", "fanout", "noisy", "quiet", "even"}

// WorkTime is how long a task of the fairness workload works (sleeps), in
// every arm: long enough that the handlers, not the queue, bound the rate.
const WorkTime = 2 * time.Millisecond

// timed tells whether a phase records each task's start latency, from
// Args.T0 to Start.
func timed(phase int) bool { return phase == Latency || phase == Quiet }

// Args are the arguments common to every benchmark task.
type Args struct {
	Phase int   `json:"p"`
	Seq   int   `json:"s"`
	T0    int64 `json:"t0"` // Unix ns just before the task was enqueued
}

// Result is what a worker reports about one phase.
type Result struct {
	Phase int   `json:"phase"`
	Count int   `json:"count"`
	Dups  int   `json:"dups"`  // runs of a sequence number seen before
	First int64 `json:"first"` // Unix ns: first start
	Last  int64 `json:"last"`  // Unix ns: last end
	// Mark is when the first tenth of the phase's tasks (MarkCount) were
	// done, Unix ns: the rate from Mark to Last leaves start-up out.
	Mark      int64   `json:"mark"`
	MarkCount int     `json:"mark_count"`
	P50       float64 `json:"p50_ms"`
	P95       float64 `json:"p95_ms"`
	P99       float64 `json:"p99_ms"`
	// Begun marks a notice, not figures: the phase's first task has
	// started.
	Begun bool `json:"begun,omitempty"`
}

type phase struct {
	want   int
	mark   int // done count that sets markAt
	done   atomic.Int64
	markAt atomic.Int64
	first  atomic.Int64
	last   atomic.Int64
	seen   []atomic.Bool
	dups   atomic.Int64
	mu     sync.Mutex
	lat    []time.Duration
	once   sync.Once
}

var (
	phases [NumPhases]phase
	report func(Result)
	// begun, if set, is called when the first task of a phase starts.
	begun func(phase int)
)

// Init sets how many tasks each phase expects and the function that
// receives a phase's Result once all of its tasks are done; onBegin, if
// not nil, is called once per phase when its first task starts. It must be
// called before any task runs.
func Init(want [NumPhases]int, onDone func(Result), onBegin func(phase int)) {
	for i := range phases {
		phases[i].want = want[i]
		phases[i].mark = max(1, want[i]/10)
		phases[i].seen = make([]atomic.Bool, want[i])
	}
	report = onDone
	begun = onBegin
}

// Start records the start of a task.
func Start(a Args) {
	p := &phases[a.Phase]
	now := time.Now().UnixNano()
	if p.first.CompareAndSwap(0, now) && begun != nil {
		begun(a.Phase)
	}
	if timed(a.Phase) {
		p.mu.Lock()
		p.lat = append(p.lat, time.Duration(now-a.T0))
		p.mu.Unlock()
	}
}

// Done records the successful end of a task.
func Done(a Args) {
	p := &phases[a.Phase]
	if a.Seq >= 0 && a.Seq < len(p.seen) && p.seen[a.Seq].Swap(true) {
		p.dups.Add(1)
		return
	}
	now := time.Now().UnixNano()
	for {
		l := p.last.Load()
		if now <= l || p.last.CompareAndSwap(l, now) {
			break
		}
	}
	n := p.done.Add(1)
	if int(n) == p.mark {
		p.markAt.Store(now)
	}
	if int(n) == p.want {
		p.once.Do(func() { report(p.result(a.Phase)) })
	}
}

// Snapshot returns the Result of a phase so far.
func Snapshot(i int) Result { return phases[i].result(i) }

func (p *phase) result(i int) Result {
	r := Result{Phase: i, Count: int(p.done.Load()), Dups: int(p.dups.Load()), First: p.first.Load(), Last: p.last.Load(),
		Mark: p.markAt.Load(), MarkCount: p.mark}
	p.mu.Lock()
	lat := slices.Clone(p.lat)
	p.mu.Unlock()
	if len(lat) > 0 {
		slices.Sort(lat)
		pct := func(q float64) float64 {
			return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond)
		}
		r.P50, r.P95, r.P99 = pct(0.50), pct(0.95), pct(0.99)
	}
	return r
}
