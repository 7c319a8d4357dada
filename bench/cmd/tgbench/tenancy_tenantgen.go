package main

// The tenantgen side of the tenant and fan-out workloads, through the
// runtime's tenancy API: runtime.DB inside the task, EnqueueEachTenant for
// the fan-out, and the tenants table of runtime.TableStore.

import (
	"context"
	"net/url"
	"strconv"

	"github.com/tenantgen/tenantgen/bench/internal/probe"
	"github.com/tenantgen/tenantgen/bench/tasks"
	"github.com/tenantgen/tenantgen/runtime"
)

func tgTouchOne(ctx context.Context, app *runtime.App, a probe.Args) error {
	_, err := tasks.EnqueueTouch(ctx, app, a)
	return err
}

func tgTouchRequest(ctx context.Context, a probe.Args) (runtime.Request, error) {
	return tasks.TouchRequest(ctx, a)
}

// tgFanout enqueues one Touch per ready tenant with EnqueueEachTenant, which
// lists the tenants and sends a thousand tasks per round trip.
func tgFanout(ctx context.Context, app *runtime.App) (int, error) {
	seq := 0
	now := nowNano()
	return runtime.EnqueueEachTenant(ctx, app, func(ctx context.Context, e runtime.Enqueuer) error {
		_, err := tasks.EnqueueTouch(ctx, e, probe.Args{Phase: probe.Fanout, Seq: seq, T0: now})
		seq++
		return err
	})
}

// tgConfigureDB gives the App the benchmark database as "default", with a
// pool of e.Pool connections.
func tgConfigureDB(cfg *runtime.Config, e env) {
	cfg.Databases = map[string]string{"default": withPoolSize(e.PG, e.Pool)}
}

// withPoolSize adds pool_max_conns to a database URL.
func withPoolSize(rawURL string, n int) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	q := u.Query()
	q.Set("pool_max_conns", strconv.Itoa(n))
	u.RawQuery = q.Encode()
	return u.String()
}
