package runtime

import "context"

// RetryNow makes a scheduled or retrying task ready at once, at the tail
// of its lane. It returns an error wrapping ErrTaskNotFound if the task is
// not delayed in queue (it may have fallen due meanwhile).
func (in *Inspector) RetryNow(ctx context.Context, queue string, id TaskID) error {
	return in.retryNow(ctx, queue, id)
}

// Requeue puts the dead task id back on its queue, in its own tenant's
// lane, with a fresh set of retries (as RequeueDead does).
func (in *Inspector) Requeue(ctx context.Context, queue string, id TaskID) error {
	return in.requeue(ctx, queue, id)
}

// RequeueAll requeues the dead tasks of queue, of tenant only unless it is
// "" ("-": public tasks only), newest first, and returns how many it
// requeued. progress, if not nil, is called after each batch with the
// count so far and the total.
func (in *Inspector) RequeueAll(ctx context.Context, queue, tenant string, progress func(done, total int)) (int, error) {
	return in.requeueAll(ctx, queue, tenant, progress)
}

// Delete deletes a ready, scheduled, retrying or dead task. A running task
// cannot be deleted (an error wrapping ErrTaskState): cancel it.
func (in *Inspector) Delete(ctx context.Context, queue string, id TaskID) error {
	return in.delete(ctx, queue, id)
}

// Cancel stops a task and returns the state it was in. A ready, scheduled
// or retrying task is removed; a running one has its context cancelled in
// whichever worker process runs it, and then goes to the dead letter set
// as cancelled (it is not retried). The cancellation of a running task is
// asynchronous: Cancel returns once the workers are told.
func (in *Inspector) Cancel(ctx context.Context, queue string, id TaskID) (TaskState, error) {
	return in.cancel(ctx, queue, id)
}

// PauseQueue pauses queue as App.PauseQueue does, and logs it.
func (in *Inspector) PauseQueue(ctx context.Context, queue string) error {
	return in.logged(ctx, "queue paused", []any{"queue", queue}, func() error { return in.app.PauseQueue(ctx, queue) })
}

// ResumeQueue resumes queue as App.ResumeQueue does, and logs it.
func (in *Inspector) ResumeQueue(ctx context.Context, queue string) error {
	return in.logged(ctx, "queue resumed", []any{"queue", queue}, func() error { return in.app.ResumeQueue(ctx, queue) })
}

// PauseTenant pauses tenant as App.PauseTenant does, and logs it.
func (in *Inspector) PauseTenant(ctx context.Context, tenant string, queues ...string) error {
	return in.logged(ctx, "tenant paused", []any{"tenant", tenant, "queues", queues}, func() error { return in.app.PauseTenant(ctx, tenant, queues...) })
}

// ResumeTenant resumes tenant as App.ResumeTenant does, and logs it.
func (in *Inspector) ResumeTenant(ctx context.Context, tenant string, queues ...string) error {
	return in.logged(ctx, "tenant resumed", []any{"tenant", tenant, "queues", queues}, func() error { return in.app.ResumeTenant(ctx, tenant, queues...) })
}

// logged runs f and logs its outcome as an Inspector action.
func (in *Inspector) logged(ctx context.Context, msg string, attrs []any, f func() error) error {
	if err := f(); err != nil {
		in.app.cfg.Logger.WarnContext(ctx, "inspector: action failed: "+msg, append(attrs, "err", err)...)
		return err
	}
	in.app.cfg.Logger.InfoContext(ctx, "inspector: "+msg, attrs...)
	return nil
}
