package runtime

import (
	"context"
	"time"

	"github.com/tenantgen/tenantgen/internal/queue"
)

// Observer watches the tasks that Run works, for telemetry: it sees every
// attempt start and every task settle, including those that never run
// (dead-lettered before they start, or handed back at shutdown), which
// Middleware cannot see. Set it in Config.Observer; package
// oteltenantgen provides one that records traces and metrics. Its methods
// are called from the worker's goroutines, concurrently.
type Observer interface {
	// Start is called as an attempt starts, before its tenant is
	// resolved and before Config.Middleware. The attempt runs with the
	// ctx it returns, which may carry a span.
	Start(ctx context.Context, job *Job) context.Context

	// Settled is called once for every settled task. For an attempt that
	// ran, ctx is the one Start returned (it may be done by then: the
	// attempt is over); for a task that never ran it is a background ctx.
	Settled(ctx context.Context, s Settlement)
}

// Outcome is how a task was settled.
type Outcome string

// The outcomes of a settled task.
const (
	OutcomeSucceeded    Outcome = "succeeded" // the attempt succeeded
	OutcomeRetried      Outcome = "retried"   // the attempt failed; the task will run again after a backoff
	OutcomeDeadLettered Outcome = "dead"      // the task went to the dead letter set, after failing or without running
	OutcomeRequeued     Outcome = "requeued"  // handed back to its queue without spending a retry: at shutdown, or fetched ahead and not started in time
)

// Settlement is how a task was settled, as an Observer sees it.
type Settlement struct {
	// Job is the attempt. For a task that never ran it is built from the
	// task's envelope (no Args, no Spec); it is nil for a poison task,
	// whose envelope cannot be decoded.
	Job *Job

	Queue   string
	Outcome Outcome

	// Ran reports whether the attempt ran: Start was called for it. A task
	// dead-lettered before it started (its deadline passed, its signature
	// does not verify, MaxInterrupts), one that is not registered with
	// this worker, and one handed back before it started did not run.
	Ran bool

	// Err is the attempt's error (a *PanicError for a panic), or why the
	// task was refused; nil on success.
	Err error

	Started  time.Time     // when the attempt started; zero if it did not run
	Duration time.Duration // how long it ran
}

// StartLatency returns how long the task waited between becoming due and
// starting, or 0 for a task that did not run.
func (s Settlement) StartLatency() time.Duration {
	if !s.Ran || s.Job == nil || s.Job.Due.IsZero() {
		return 0
	}
	return max(s.Started.Sub(s.Job.Due), 0)
}

// engineObserver returns the queue engine's Observer for o, or nil for no
// Observer, so that the engine skips its reports altogether.
func engineObserver(o Observer) queue.Observer {
	if o == nil {
		return nil
	}
	return settled{o}
}

// settled turns the engine's settlements into Settlements.
type settled struct{ o Observer }

// outcome returns the Outcome of an engine's action.
func outcome(action string) Outcome {
	switch action {
	case "ack":
		return OutcomeSucceeded
	case "retry":
		return OutcomeRetried
	case "dead":
		return OutcomeDeadLettered
	case "requeue":
		return OutcomeRequeued
	}
	return Outcome(action)
}

// Settled implements queue.Observer.
func (s settled) Settled(j queue.Job, es queue.Settlement) {
	ctx := context.Background()
	st := Settlement{Queue: es.Queue, Outcome: outcome(es.Action), Err: es.Err, Started: es.Start, Duration: es.Elapsed}
	if job, ok := j.(*Job); ok && job.observed != nil {
		ctx, job.observed = job.observed, nil
		st.Job, st.Ran = job, true
	} else if env := es.Env; env != nil {
		st.Job = &Job{
			ID: TaskID(env.ID), Name: env.Name, Tenant: env.Tenant, Queue: es.Queue, Attempt: es.Attempt,
			Headers: env.Headers, EnqueuedAt: env.EnqueuedAt(), Due: env.DueAt(), Retries: env.Retries,
		}
	}
	s.o.Settled(ctx, st)
}
