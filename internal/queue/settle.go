package queue

import (
	"context"
	"encoding/json"
	"strconv"
	"time"
)

// settle runs settleScript for d. For "retry" arg is the due time, for
// "dead" the error; env may be nil for an undecodable or unstarted task.
func (w *Worker) settle(d *delivery, env *Envelope, action, arg string) {
	now := time.Now().UnixMilli()
	var payload, dueOrID, route string
	switch action {
	case "retry":
		data, _ := env.encode()
		payload = routeKey(env.Tenant, env.Name) + data
		dueOrID = arg
	case "requeue":
		payload = d.data
		if d.interrupts > 0 {
			dueOrID = strconv.Itoa(d.interrupts) // the same attempt: keep its count
		}
		if d.lane == "" {
			// Its lane is not stored: route it again, from its envelope.
			if env == nil {
				env, _ = decodeEnvelope(d.data)
			}
			if env != nil {
				route = routeKey(env.Tenant, env.Name)
			}
		}
	case "dead":
		rec := deadRecord{Envelope: d.data, Error: arg, Died: now}
		dueOrID = d.entry
		if env != nil {
			rec.Attempts = env.Attempt
			dueOrID = string(env.ID)
		}
		b, _ := json.Marshal(rec)
		payload = string(b)
	}
	counted := ""
	if d.counted {
		counted = "1"
	}
	k := d.p.k
	run := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		err := settleScript.Run(ctx, w.rdb, []string{k.stream},
			k.base, group, d.entry, action, payload, dueOrID, now, w.cfg.DeadMaxLen, w.deadMaxAge(), d.lane, counted, route).Err()
		if err == nil {
			w.unhold(d)
		}
		return err
	}
	if err := run(context.Background()); err != nil {
		// The entry stays pending, and held, under this worker: the
		// reclaimer retries the settle; if the worker dies first, another
		// reclaims the entry. The task is not lost either way.
		w.log.Error("settle task; will retry every heartbeat", "action", action, "entry", d.entry, "err", err)
		w.retryLater(run)
	}
}

// deadMaxAge returns Config.DeadMaxAge in ms as the scripts take it: 0 for
// no limit.
func (w *Worker) deadMaxAge() int64 {
	if w.cfg.DeadMaxAge > 0 {
		return w.cfg.DeadMaxAge.Milliseconds()
	}
	return 0
}
