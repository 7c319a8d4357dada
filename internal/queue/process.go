package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"
)

// process runs one delivery under taskCtx, the parent of every task's
// context, and settles it.
func (w *Worker) process(taskCtx context.Context, d *delivery) {
	defer w.done(d, true)
	if w.stopping.Load() {
		w.settle(d, nil, "requeue", "")
		w.observe(nil, d, nil, Settlement{Action: "requeue"})
		return
	}
	env, err := decodeEnvelope(d.data)
	if err != nil {
		w.log.Error("poison task: moved to the dead letter set", "queue", d.queue, "entry", d.entry, "err", err)
		w.settle(d, nil, "dead", err.Error())
		w.observe(nil, d, nil, Settlement{Action: "dead", Err: err})
		return
	}
	if w.signer != nil {
		// Before anything trusts the envelope's tenant.
		if err := w.signer.verify(env); err != nil {
			w.taskLog(d, env).Error("task refused; moved to the dead letter set", "err", err)
			w.refuse(d, env, err)
			return
		}
	}
	switch {
	case d.interrupts >= w.cfg.MaxInterrupts:
		err := fmt.Errorf("%d workers died running this attempt (killed, or out of memory?); see Config.MaxInterrupts", d.interrupts)
		w.taskLog(d, env).Error("task moved to the dead letter set", "err", err)
		w.refuse(d, env, err)
		return
	case env.Deadline != 0 && time.Now().UnixMilli() > env.Deadline:
		err := errors.New("deadline " + unixMilli(env.Deadline).UTC().Format(time.RFC3339) + " passed before the task could start")
		w.taskLog(d, env).Error("task moved to the dead letter set", "err", err)
		w.refuse(d, env, err)
		return
	}
	attempt := env.Attempt + 1 // fail counts the attempt in env
	job, err := w.runner.Prepare(env, d.queue)
	if err != nil {
		action := w.fail(d, env, err, w.taskLog(d, env))
		w.observe(nil, d, env, Settlement{Attempt: attempt, Action: action, Err: err})
		return
	}
	timeout := time.Duration(env.Timeout) * time.Millisecond
	if timeout <= 0 {
		timeout = w.cfg.DefaultTimeout
	}
	start := time.Now()
	cancelled, err := w.call(taskCtx, job, timeout, d.queue, env.ID)
	elapsed := time.Since(start)
	w.ahead.noteRun(elapsed)
	action := "ack"
	switch {
	case err == nil:
		w.ack(d)
		w.count(d.queue, env.Tenant, false)
		if w.log.Enabled(context.Background(), slog.LevelDebug) {
			w.taskLog(d, env).Debug("task done", "duration", elapsed)
		}
	case cancelled:
		// Cancelled through the Inspector: given up, not retried.
		msg := ErrCancelled.Error() + ": " + err.Error()
		env.Attempt++
		w.count(d.queue, env.Tenant, true)
		w.taskLog(d, env).Warn("task cancelled through the Inspector; moved to the dead letter set", "duration", elapsed, "err", err)
		w.settle(d, env, "dead", msg)
		w.cancelDone(d.queue, env.ID)
		action = "dead"
	case taskCtx.Err() != nil:
		// Shutdown cancelled the task: hand it back without spending a retry.
		w.taskLog(d, env).Warn("task interrupted by shutdown; handed back to the queue", "duration", elapsed, "err", err)
		w.settle(d, env, "requeue", "")
		action = "requeue"
	default:
		action = w.fail(d, env, err, w.taskLog(d, env).With("duration", elapsed))
	}
	if w.cfg.Observer != nil {
		w.observe(job, d, env, Settlement{Attempt: attempt, Action: action, Err: err, Start: start, Elapsed: elapsed})
	}
}

// refuse moves the task of d, which will not run, to the dead letter set
// with err as its error.
func (w *Worker) refuse(d *delivery, env *Envelope, err error) {
	w.settle(d, env, "dead", err.Error())
	w.observe(nil, d, env, Settlement{Action: "dead", Err: err})
}

// taskLog returns the logger for the task of d. It is built only when a
// task logs: slog's With formats its attributes even for disabled levels,
// which would cost every task several allocations.
func (w *Worker) taskLog(d *delivery, env *Envelope) *slog.Logger {
	return w.log.With("task_id", env.ID, "task", env.Name, "tenant", env.Tenant, "queue", d.queue, "attempt", env.Attempt+1)
}

// call runs job, an attempt of task id of queue, under taskCtx, bounded by
// timeout, and reports whether the Inspector cancelled it (cancel.go).
func (w *Worker) call(taskCtx context.Context, job Job, timeout time.Duration, queue, id string) (cancelled bool, err error) {
	ctx, cancel := context.WithTimeout(taskCtx, timeout)
	defer cancel()
	w.insp.cancels.track(queue, id, cancel)
	err = w.runner.Run(ctx, job)
	return w.insp.cancels.untrack(id), err
}

// fail settles a failed attempt: a retry after a backoff, or the dead letter
// set when retries are exhausted or the error is permanent. It returns the
// action taken, "retry" or "dead".
func (w *Worker) fail(d *delivery, env *Envelope, err error, log *slog.Logger) string {
	w.count(d.queue, env.Tenant, true)
	env.Attempt++
	env.Error = err.Error()
	if IsPermanent(err) || env.Attempt > env.Retries {
		log.Error("task failed; moved to the dead letter set", "err", err, "attempts", env.Attempt)
		w.settle(d, env, "dead", err.Error())
		return "dead"
	}
	wait := w.cfg.Backoff(env.Attempt)
	log.Warn("task failed; will retry", "err", err, "retry_in", wait)
	env.Due = ceilMilli(time.Now().Add(wait))
	w.settle(d, env, "retry", strconv.FormatInt(env.Due, 10))
	select {
	case w.poke <- struct{}{}:
	default:
	}
	return "retry"
}
