package runtime_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/tenantgen/tenantgen/runtime"
)

// memQueue is an Enqueuer that keeps requests in memory.
type memQueue struct {
	reqs []runtime.Request
}

// Enqueue keeps req and returns an ID made from its position.
func (q *memQueue) Enqueue(_ context.Context, req runtime.Request) (runtime.TaskID, error) {
	q.reqs = append(q.reqs, req)
	return runtime.TaskID(fmt.Sprintf("task-%d", len(q.reqs))), nil
}

// Invoice is the argument of the task in the examples.
type Invoice struct {
	ID    string
	Cents int64
}

func ExampleNewTask() {
	// Generated code declares tasks like this one.
	sendInvoice := runtime.NewTask(runtime.TaskSpec{
		Name:    "billing.SendInvoice",
		Queue:   "billing",
		Retries: 5,
	}, func(ctx context.Context, inv Invoice) error {
		fmt.Printf("sending invoice %s for %d cents\n", inv.ID, inv.Cents)
		return nil
	})

	reg := runtime.NewRegistry()
	if err := reg.Register(sendInvoice); err != nil {
		fmt.Println(err)
		return
	}

	// Enqueue the task for the tenant "acme".
	q := &memQueue{}
	ctx := runtime.WithTenant(context.Background(), "acme")
	id, err := sendInvoice.Enqueue(ctx, q, Invoice{ID: "inv-7", Cents: 1250})
	if err != nil {
		fmt.Println(err)
		return
	}
	req := q.reqs[0]
	fmt.Printf("enqueued %s: %s for %s on queue %s, args %s\n", id, req.Name, req.Tenant, req.Queue, req.Args)

	// A worker finds the task by name and runs it.
	def, ok := reg.Lookup(req.Name)
	if !ok {
		fmt.Println("unknown task", req.Name)
		return
	}
	if err := def.Run(context.Background(), req.Args); err != nil {
		fmt.Println(err)
	}
	// Output:
	// enqueued task-1: billing.SendInvoice for acme on queue billing, args {"ID":"inv-7","Cents":1250}
	// sending invoice inv-7 for 1250 cents
}

func ExampleWithTenant() {
	task := runtime.NewTask(runtime.TaskSpec{Name: "billing.SendInvoice"},
		func(context.Context, Invoice) error { return nil })

	ctx := runtime.WithTenant(context.Background(), "acme")
	req, err := task.NewRequest(ctx, Invoice{ID: "inv-7"})
	fmt.Printf("%q %v\n", req.Tenant, err)

	// ForTenant overrides the tenant in the context.
	req, err = task.NewRequest(ctx, Invoice{ID: "inv-7"}, runtime.ForTenant("globex"))
	fmt.Printf("%q %v\n", req.Tenant, err)

	// Without a tenant, a task that is not public cannot be enqueued.
	_, err = task.NewRequest(context.Background(), Invoice{ID: "inv-7"})
	fmt.Println(errors.Is(err, runtime.ErrNoTenant))
	// Output:
	// "acme" <nil>
	// "globex" <nil>
	// true
}

func ExampleMarshalParams() {
	// The parameters of ChargeCard(ctx, customerID string, cents int64)
	// travel as a JSON array.
	data, err := runtime.MarshalParams("cus_42", int64(1250))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(data))

	var customerID string
	var cents int64
	if err := runtime.UnmarshalParams(data, &customerID, &cents); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(customerID, cents)
	// Output:
	// ["cus_42",1250]
	// cus_42 1250
}
