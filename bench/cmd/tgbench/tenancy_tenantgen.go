package main

// The tenantgen side of the tenant and fan-out workloads. They need the
// runtime's tenancy API (runtime.DB and the tenants table), which is not
// there yet: until it is, the tenantgen arm skips both workloads.

import (
	"context"
	"errors"

	"github.com/tenantgen/tenantgen/bench/internal/probe"
	"github.com/tenantgen/tenantgen/runtime"
)

var errNoTenancy = errors.New("tenantgen: the runtime has no tenancy API yet")

func init() {
	tenantgenArm.NoTenant = true
	tenantgenArm.NoFanout = true
}

func tgTouchOne(ctx context.Context, app *runtime.App, a probe.Args) error { return errNoTenancy }

func tgTouchRequest(ctx context.Context, a probe.Args) (runtime.Request, error) {
	return runtime.Request{}, errNoTenancy
}

func tgFanout(ctx context.Context, app *runtime.App) (int, error) { return 0, errNoTenancy }

func tgConfigureDB(cfg *runtime.Config, e env) {}
