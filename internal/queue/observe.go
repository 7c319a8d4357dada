package queue

import "time"

// Observer is told how the worker settled each delivery, for telemetry:
// every attempt that ran, and every task dead-lettered or handed back
// without running. Package runtime implements it when its Config has an
// Observer; without one the Worker makes no call and builds nothing.
type Observer interface {
	// Settled reports s. job is what the Runner's Prepare returned for an
	// attempt that ran, and nil for a task that never reached Run.
	Settled(job Job, s Settlement)
}

// Settlement is how one delivery was settled.
type Settlement struct {
	Queue   string
	Env     *Envelope     // nil for an envelope that cannot be decoded (poison)
	Attempt int           // the attempt settled, 1 for the first; 0 when Env is nil
	Action  string        // "ack", "retry", "dead" or "requeue"
	Err     error         // why the attempt failed or the task was refused; nil on "ack" and "requeue"
	Start   time.Time     // when the attempt started; zero if it never ran
	Elapsed time.Duration // how long it ran
}

// observe reports a settlement to the Observer, if there is one. env may be
// nil: it is decoded again from d, so that the paths without an envelope
// (a hand-back at shutdown) cost nothing without an Observer.
func (w *Worker) observe(job Job, d *delivery, env *Envelope, s Settlement) {
	o := w.cfg.Observer
	if o == nil {
		return
	}
	if env == nil {
		env, _ = decodeEnvelope(d.data)
	}
	s.Queue, s.Env = d.queue, env
	if env != nil && s.Attempt == 0 {
		s.Attempt = env.Attempt + 1
	}
	o.Settled(job, s)
}
