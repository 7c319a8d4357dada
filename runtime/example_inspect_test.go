package runtime_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tenantgen/tenantgen/runtime"
)

// The Inspector shows a queue by tenant, and acts on single tasks: here a
// backlog of two tenants, then one of acme's tasks cancelled.
func ExampleInspector() {
	ctx := context.Background()
	report := runtime.NewTask(runtime.TaskSpec{Name: "reports.Build"}, func(context.Context, runtime.NoArgs) error { return nil })
	reg := runtime.NewRegistry()
	reg.Register(report)
	app, done, err := exampleApp(runtime.Config{Registry: reg})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer done()
	var ids []runtime.TaskID
	for _, tenant := range []string{"acme", "acme", "acme", "globex"} {
		id, err := report.Enqueue(runtime.WithTenant(ctx, tenant), app, runtime.NoArgs{})
		if err != nil {
			fmt.Println(err)
			return
		}
		ids = append(ids, id)
	}
	if _, err := report.Enqueue(runtime.WithTenant(ctx, "globex"), app, runtime.NoArgs{}, runtime.Delay(time.Hour)); err != nil {
		fmt.Println(err)
		return
	}

	in := app.Inspector()
	page, err := in.Tenants(ctx, runtime.TenantQuery{Sort: runtime.ByBacklog})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range page.Tenants {
		fmt.Printf("%s: %d ready, %d scheduled\n", t.ID, t.Ready, t.Scheduled)
	}

	state, err := in.Cancel(ctx, "default", ids[0])
	fmt.Println("cancelled a task that was", state, err)
	qs, _ := in.Queues(ctx)
	fmt.Printf("queue %s: %d ready, %d scheduled\n", qs[0].Name, qs[0].Ready, qs[0].Scheduled)
	// Output:
	// acme: 3 ready, 0 scheduled
	// globex: 1 ready, 1 scheduled
	// cancelled a task that was ready <nil>
	// queue default: 3 ready, 1 scheduled
}
