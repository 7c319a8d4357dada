package runtime

import (
	"context"
	"errors"
	"fmt"

	"github.com/tenantgen/tenantgen/internal/names"
	"github.com/tenantgen/tenantgen/internal/queue"
)

// stateError returns the error of action on a task in a state it does
// not apply to.
func stateError(action string, t queue.Task, hint string) error {
	return fmt.Errorf("%w: cannot %s task %q of queue %q: it is %s; %s", ErrTaskState, action, t.ID, t.Queue, t.State, hint)
}

// log logs an action on task t, or its failure.
func (in *Inspector) log(ctx context.Context, msg string, t queue.Task, err error) {
	attrs := []any{"queue", t.Queue, "task_id", t.ID, "state", t.State}
	if t.Env != nil {
		attrs = append(attrs, "task", t.Env.Name, "tenant", t.Env.Tenant)
	}
	if err != nil {
		in.app.cfg.Logger.WarnContext(ctx, "inspector: action failed: "+msg, append(attrs, "err", err)...)
		return
	}
	in.app.cfg.Logger.InfoContext(ctx, "inspector: "+msg, attrs...)
}

func (in *Inspector) retryNow(ctx context.Context, q string, id TaskID) error {
	t, err := in.find(ctx, "retry", q, id)
	if err != nil {
		return err
	}
	if t.State != queue.StateScheduled && t.State != queue.StateRetrying {
		hint := "only scheduled and retrying tasks can be retried now"
		if t.State == queue.StateDead {
			hint = "requeue it"
		}
		return stateError("retry", t, hint)
	}
	err = in.app.engine.Promote(ctx, t)
	in.log(ctx, "task made ready now", t, err)
	return err
}

func (in *Inspector) requeue(ctx context.Context, q string, id TaskID) error {
	if err := names.CheckQueue(q); err != nil {
		return fmt.Errorf("tenantgen: requeue task: %w", err)
	}
	err := in.app.engine.RequeueDead(ctx, q, string(id))
	in.log(ctx, "dead task requeued", queue.Task{ID: string(id), Queue: q, State: queue.StateDead}, err)
	return err
}

// requeueBatch is how many dead task IDs RequeueAll reads at a time.
const requeueBatch = 100

func (in *Inspector) requeueAll(ctx context.Context, q, tenant string, progress func(done, total int)) (int, error) {
	if err := names.CheckQueue(q); err != nil {
		return 0, fmt.Errorf("tenantgen: requeue dead tasks: %w", err)
	}
	if tenant != "" && tenant != "-" {
		if err := names.CheckTenant(tenant); err != nil {
			return 0, fmt.Errorf("tenantgen: requeue dead tasks: %w", err)
		}
	}
	total, err := in.app.engine.DeadCount(ctx, q, tenant)
	if err != nil {
		return 0, err
	}
	done := 0
	for done < int(total) {
		ids, err := in.app.engine.DeadIDs(ctx, q, tenant, requeueBatch)
		if err != nil {
			return done, err
		}
		if len(ids) == 0 {
			break
		}
		for _, id := range ids {
			err := in.app.engine.RequeueDead(ctx, q, id)
			switch {
			case errors.Is(err, queue.ErrNotFound):
				continue // requeued or trimmed meanwhile
			case err != nil:
				return done, err
			}
			done++
		}
		if progress != nil {
			progress(done, int(total))
		}
	}
	in.app.cfg.Logger.InfoContext(ctx, "inspector: dead tasks requeued", "queue", q, "tenant", tenant, "tasks", done)
	return done, nil
}

func (in *Inspector) delete(ctx context.Context, q string, id TaskID) error {
	t, err := in.find(ctx, "delete", q, id)
	if err != nil {
		return err
	}
	if t.State == queue.StateRunning {
		return stateError("delete", t, "cancel it")
	}
	err = in.app.engine.Remove(ctx, t)
	in.log(ctx, "task deleted", t, err)
	return err
}

func (in *Inspector) cancel(ctx context.Context, q string, id TaskID) (TaskState, error) {
	t, err := in.find(ctx, "cancel", q, id)
	if err != nil {
		return "", err
	}
	switch t.State {
	case queue.StateDead:
		return TaskState(t.State), stateError("cancel", t, "delete it")
	case queue.StateRunning:
		n, err := in.app.engine.CancelRunning(ctx, q, t.ID)
		in.log(ctx, "running task cancelled", t, err)
		if err == nil && n == 0 {
			in.app.cfg.Logger.WarnContext(ctx, "inspector: no worker received the cancel request", "queue", q, "task_id", t.ID)
		}
		return StateRunning, err
	}
	err = in.app.engine.Remove(ctx, t)
	in.log(ctx, "task cancelled", t, err)
	return TaskState(t.State), err
}
