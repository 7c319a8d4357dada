package runtime

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/tenantgen/tenantgen/internal/jobctx"
	"github.com/tenantgen/tenantgen/internal/queue"
)

// Run works the queues of Config.Queues until ctx is cancelled, then shuts
// down gracefully (see Config.ShutdownGrace). It returns nil after a clean
// shutdown. When there is anything to schedule (Config.Schedule, or a
// registered task with a cron spec), it also runs a Scheduler.
func (a *App) Run(ctx context.Context) error {
	if a.cfg.Registry == nil {
		return errors.New("tenantgen: Run needs Config.Registry: register the tasks to work, e.g. with the generated RegisterTasks")
	}
	if err := errors.Join(a.cfg.checkTaskDBs()...); err != nil {
		return fmt.Errorf("tenantgen: %w", err)
	}
	a.warnUnworkedQueues()
	// Tasks registered after Open may have limits of their own.
	if err := a.recordTaskLimits(ctx); err != nil {
		return err
	}
	stopScheduler, err := a.startScheduler(ctx)
	if err != nil {
		return err
	}
	defer stopScheduler()
	stopRelay, err := a.startRelay(ctx)
	if err != nil {
		return err
	}
	defer stopRelay()
	if a.cache != nil {
		unwatch, err := a.watchTenants(ctx)
		if err != nil {
			return err
		}
		defer unwatch()
	}
	return queue.NewWorker(a.engine, a.runner()).Run(ctx)
}

// runner runs the tasks that the queue engine's worker delivers: it looks
// each up in the Registry and runs it through the handler chain.
type runner struct {
	reg      *Registry
	handler  Handler  // Tenancy, then Config.Middleware, then runJob
	observer Observer // Config.Observer; nil for none
}

// runner returns the runner of a's Registry and middleware.
func (a *App) runner() *runner {
	var h Handler = HandlerFunc(runJob)
	for i := len(a.cfg.Middleware) - 1; i >= 0; i-- {
		h = a.cfg.Middleware[i](h)
	}
	// Tenancy goes first: middleware runs with the tenant resolved, its
	// databases switched, and TaskTenant set.
	return &runner{reg: a.cfg.Registry, handler: a.Tenancy(h), observer: a.cfg.Observer}
}

// Prepare returns the *Job of the task of env, read from queue. A task
// that is not registered fails, and is retried: during a rolling deploy
// another worker may know it.
func (r *runner) Prepare(env *queue.Envelope, q string) (queue.Job, error) {
	def, ok := r.reg.Lookup(env.Name)
	if !ok {
		return nil, fmt.Errorf("task %q is not registered with this worker: add it to Config.Registry (generated RegisterTasks)", env.Name)
	}
	return &Job{
		ID: TaskID(env.ID), Name: env.Name, Tenant: env.Tenant, Queue: q, Attempt: env.Attempt + 1,
		Args: env.Args, Headers: env.Headers, EnqueuedAt: env.EnqueuedAt(), Due: env.DueAt(), Retries: env.Retries,
		Spec: def.Spec(), def: def,
	}, nil
}

// Run runs the *Job that Prepare returned through the middleware and the
// task, turning a panic into a *PanicError.
func (r *runner) Run(ctx context.Context, j queue.Job) (err error) {
	job := j.(*Job)
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	if r.observer != nil {
		// Outside Tenancy, so that what the observer starts (a span)
		// covers the tenant lookup too.
		ctx = r.observer.Start(ctx, job)
		job.observed = ctx
	}
	return r.handler.Handle(jobctx.With(ctx, job), job)
}

// runJob is the innermost handler: it decodes the arguments and calls the
// task's function.
func runJob(ctx context.Context, job *Job) error {
	return job.def.Run(ctx, job.Args)
}

// runInBackground runs run, a loop that returns nil once its ctx is
// cancelled, in a goroutine until the returned stop is called, which
// cancels run's ctx and waits for it to return.
func runInBackground(ctx context.Context, run func(context.Context) error) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(ctx)
	}()
	return func() { cancel(); <-done }
}
