package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/tenantgen/tenantgen/runtime"
)

// command declares its flags on fs and returns the function that runs it
// with the remaining arguments.
type command func(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error

var commands = map[string]command{
	"queues":    queuesCmd,
	"tenants":   tenantsCmd,
	"tasks":     tasksCmd,
	"task":      taskCmd,
	"retry":     retryCmd,
	"requeue":   requeueCmd,
	"cancel":    cancelCmd,
	"delete":    deleteCmd,
	"pause":     pauseCmd(true),
	"resume":    pauseCmd(false),
	"workers":   workersCmd,
	"scheduler": schedulerCmd,
	"history":   historyCmd,
}

func queuesCmd(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		qs, err := e.in.Queues(ctx, args...)
		if err != nil {
			return err
		}
		return e.print(qs, func(t *table) {
			t.row("QUEUE", "READY", "SCHEDULED", "RETRYING", "RUNNING", "DEAD", "OLDEST READY", "LANES", "PAUSED")
			for _, q := range qs {
				paused := "-"
				switch {
				case q.Paused:
					paused = "queue"
				case q.PausedTenants > 0:
					paused = fmt.Sprintf("%d tenants", q.PausedTenants)
				}
				t.row(q.Name, q.Ready, q.Scheduled, unknown(q.Retrying), q.Running, q.Dead, age(q.OldestReady), q.Lanes, paused)
			}
		})
	}
}

func tenantsCmd(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	var q runtime.TenantQuery
	fs.StringVar(&q.Queue, "queue", "", "only this queue (default: every known queue)")
	fs.StringVar(&q.Prefix, "id-prefix", "", "only tenants whose ID starts with this")
	sort := fs.String("sort", "backlog", "order: backlog, failures, dead, running or id")
	fs.IntVar(&q.Limit, "limit", 20, "tenants to show")
	fs.IntVar(&q.Offset, "offset", 0, "tenants to skip")
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) > 0 {
			return usagef("tenants takes no arguments, got %q", args)
		}
		q.Sort = runtime.TenantSort(*sort)
		page, err := e.in.Tenants(ctx, q)
		if err != nil {
			return err
		}
		return e.print(page, func(t *table) {
			t.row("TENANT", "READY", "SCHEDULED", "RETRYING", "RUNNING", "DEAD", "FAILED 1H", "PAUSED IN")
			for _, ti := range page.Tenants {
				t.row(ti.ID, ti.Ready, unknown(ti.Scheduled), unknown(ti.Retrying), ti.Running, ti.Dead, ti.Failures, list(ti.PausedIn))
			}
			t.footer(fmt.Sprintf("%d of %d tenants%s", len(page.Tenants), page.Total, nextHint(page.Next)))
		})
	}
}

func tasksCmd(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	var q runtime.TaskQuery
	fs.StringVar(&q.Queue, "queue", "default", "queue")
	state := fs.String("state", "", "ready, scheduled, retrying, running or dead (required)")
	fs.StringVar(&q.Tenant, "tenant", "", "only this tenant's tasks (-: public tasks)")
	fs.StringVar(&q.Task, "task", "", "only tasks of this name")
	fs.IntVar(&q.Limit, "limit", 50, "tasks to show, at most 1000")
	fs.IntVar(&q.Offset, "offset", 0, "tasks to skip")
	return func(ctx context.Context, e *env, args []string) error {
		if *state == "" || len(args) > 0 {
			return usagef("usage: tenantctl tasks -state ready|scheduled|retrying|running|dead [-queue Q] [-tenant T] [-task NAME]")
		}
		q.State = runtime.TaskState(*state)
		page, err := e.in.Tasks(ctx, q)
		if err != nil {
			return err
		}
		return e.print(page, func(t *table) {
			t.row("ID", "TASK", "TENANT", "ATTEMPTS", "WHEN", "ERROR")
			for _, task := range page.Tasks {
				t.row(task.ID, task.Name, orDash(task.Tenant), task.Attempts, when(task), firstLine(task.Error, 60))
			}
			t.footer(fmt.Sprintf("%d tasks%s", len(page.Tasks), nextHint(page.Next)))
		})
	}
}

func taskCmd(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	queue := fs.String("queue", "default", "queue")
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) != 1 {
			return usagef("usage: tenantctl task [-queue Q] ID")
		}
		task, err := e.in.Task(ctx, *queue, runtime.TaskID(args[0]))
		if err != nil {
			return err
		}
		return e.print(task, func(t *table) {
			t.pair("id", task.ID)
			t.pair("queue", fmt.Sprintf("%s (partition %d)", task.Queue, task.Partition))
			t.pair("state", task.State)
			t.pair("task", task.Name)
			t.pair("tenant", orDash(task.Tenant))
			t.pair("args", string(task.Args))
			t.pair("attempts", fmt.Sprintf("%d of %d retries", task.Attempts, task.Retries))
			t.pair("enqueued", stamp(task.Enqueued))
			for _, p := range []struct {
				k string
				v time.Time
			}{{"due", task.Due}, {"started", task.Started}, {"died", task.Died}, {"deadline", task.Deadline}} {
				if !p.v.IsZero() {
					t.pair(p.k, stamp(p.v))
				}
			}
			if task.Worker != "" {
				t.pair("worker", task.Worker)
			}
			if task.Interrupts > 0 {
				t.pair("interrupts", task.Interrupts)
			}
			for k, v := range task.Headers {
				t.pair("header "+k, v)
			}
			if task.Error != "" {
				t.pair("error", task.Error)
			}
		})
	}
}

// each runs act on every ID of args, printing one line per task, and
// returns the first error, after trying them all.
func each(ctx context.Context, e *env, args []string, verb string, act func(ctx context.Context, id runtime.TaskID) (string, error)) error {
	if len(args) == 0 {
		return usagef("usage: tenantctl %s [-queue Q] ID...", verb)
	}
	type result struct {
		ID     runtime.TaskID `json:"id"`
		Result string         `json:"result,omitempty"`
		Error  string         `json:"error,omitempty"`
	}
	var results []result
	var first error
	for _, id := range args {
		r := result{ID: runtime.TaskID(id)}
		what, err := act(ctx, r.ID)
		if err != nil {
			r.Error = err.Error()
			if first == nil {
				first = err
			}
		} else {
			r.Result = what
		}
		results = append(results, r)
	}
	if err := e.print(results, func(t *table) {
		for _, r := range results {
			if r.Error == "" {
				t.row(r.ID, r.Result)
			}
		}
	}); err != nil {
		return err
	}
	return first
}

func retryCmd(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	queue := fs.String("queue", "default", "queue")
	return func(ctx context.Context, e *env, args []string) error {
		return each(ctx, e, args, "retry", func(ctx context.Context, id runtime.TaskID) (string, error) {
			return "ready now", e.in.RetryNow(ctx, *queue, id)
		})
	}
}

func requeueCmd(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	queue := fs.String("queue", "default", "queue")
	all := fs.Bool("all", false, "requeue every dead task of the queue (of -tenant, if set)")
	tenant := fs.String("tenant", "", "with -all: only this tenant's dead tasks (-: public tasks)")
	return func(ctx context.Context, e *env, args []string) error {
		if !*all {
			if *tenant != "" {
				return usagef("-tenant needs -all")
			}
			return each(ctx, e, args, "requeue", func(ctx context.Context, id runtime.TaskID) (string, error) {
				return "requeued", e.in.Requeue(ctx, *queue, id)
			})
		}
		if len(args) > 0 {
			return usagef("requeue -all takes no IDs")
		}
		n, err := e.in.RequeueAll(ctx, *queue, *tenant, func(done, total int) {
			fmt.Fprintf(e.stderr, "requeued %d of %d dead tasks\n", done, total)
		})
		if err != nil {
			return err
		}
		out := struct {
			Requeued int `json:"requeued"`
		}{n}
		return e.print(out, func(t *table) { t.footer(fmt.Sprintf("%d dead tasks requeued", n)) })
	}
}

func cancelCmd(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	queue := fs.String("queue", "default", "queue")
	return func(ctx context.Context, e *env, args []string) error {
		return each(ctx, e, args, "cancel", func(ctx context.Context, id runtime.TaskID) (string, error) {
			st, err := e.in.Cancel(ctx, *queue, id)
			if st == runtime.StateRunning {
				return "cancel requested (running)", err
			}
			return "removed (" + string(st) + ")", err
		})
	}
}

func deleteCmd(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	queue := fs.String("queue", "default", "queue")
	return func(ctx context.Context, e *env, args []string) error {
		return each(ctx, e, args, "delete", func(ctx context.Context, id runtime.TaskID) (string, error) {
			return "deleted", e.in.Delete(ctx, *queue, id)
		})
	}
}

func pauseCmd(pause bool) command {
	verb := map[bool]string{true: "pause", false: "resume"}[pause]
	return func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		tenant := fs.String("tenant", "", verb+" this tenant only, in the queues")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) == 0 {
				return usagef("usage: tenantctl %s [-tenant T] QUEUE...", verb)
			}
			var err error
			switch {
			case *tenant != "" && pause:
				err = e.in.PauseTenant(ctx, *tenant, args...)
			case *tenant != "":
				err = e.in.ResumeTenant(ctx, *tenant, args...)
			default:
				for _, q := range args {
					if pause {
						err = e.in.PauseQueue(ctx, q)
					} else {
						err = e.in.ResumeQueue(ctx, q)
					}
					if err != nil {
						break
					}
				}
			}
			if err != nil {
				return err
			}
			out := struct {
				Action string   `json:"action"`
				Tenant string   `json:"tenant,omitempty"`
				Queues []string `json:"queues"`
			}{verb, *tenant, args}
			return e.print(out, func(t *table) {
				what := "queues " + list(args)
				if *tenant != "" {
					what = fmt.Sprintf("tenant %s in %s", *tenant, what)
				}
				t.footer(fmt.Sprintf("%sd %s", verb, what))
			})
		}
	}
}

func workersCmd(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		ws, err := e.in.Workers(ctx)
		if err != nil {
			return err
		}
		return e.print(ws, func(t *table) {
			t.row("WORKER", "QUEUES", "BUSY", "LAST BEAT", "UP", "RUNNING")
			for _, w := range ws {
				running := "-"
				if len(w.Running) > 0 {
					r := w.Running[0]
					running = fmt.Sprintf("%s %s (%s)", r.Name, r.ID, orDash(r.Tenant))
					if len(w.Running) > 1 {
						running += fmt.Sprintf(" and %d more", len(w.Running)-1)
					}
				}
				t.row(w.ID, list(w.Queues), fmt.Sprintf("%d/%d", len(w.Running), w.Concurrency), since(w.LastBeat), since(w.Started), running)
			}
		})
	}
}

func schedulerCmd(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		info, err := e.in.Scheduler(ctx)
		if err != nil {
			return err
		}
		return e.print(info, func(t *table) {
			leader := "none"
			if info.Leader != "" {
				leader = fmt.Sprintf("%s (lease %s)", info.Leader, info.LeaderTTL.Round(time.Millisecond))
			}
			t.footer("leader: " + leader)
			t.row("ENTRY", "TASK", "TIMING", "TARGETS", "SOURCE", "LAST TICK", "NEXT RUN")
			for _, en := range info.Entries {
				t.row(en.ID, orDash(en.Task), orDash(en.Timing), orDash(en.Targets), orDash(en.Source), stamp(en.LastTick), stamp(en.NextRun))
			}
			for _, p := range info.Problems {
				t.footer("problem: " + p)
			}
		})
	}
}

func historyCmd(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	queue := fs.String("queue", "default", "queue")
	return func(ctx context.Context, e *env, args []string) error {
		h, err := e.in.History(ctx, *queue, time.Now().Add(-time.Hour))
		if err != nil {
			return err
		}
		return e.print(h, func(t *table) {
			t.row("MINUTE", "PROCESSED", "FAILED")
			for _, b := range h {
				if b.Processed > 0 || b.Failed > 0 {
					t.row(b.Start.Format("15:04"), b.Processed, b.Failed)
				}
			}
		})
	}
}
