package tenanttest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/tenantgen/tenantgen/runtime"
	"github.com/tenantgen/tenantgen/runtime/tenanttest"
)

// Welcome is the argument of the task in the examples.
type Welcome struct {
	Email string `json:"email"`
}

// sendWelcomeTask is declared as generated code declares tasks.
var sendWelcomeTask = runtime.NewTask(runtime.TaskSpec{Name: "accounts.SendWelcome", Queue: "mail"},
	func(ctx context.Context, w Welcome) error {
		fmt.Println("sending a welcome email to", w.Email)
		return nil
	})

// signUp is the code under test: a request handler that enqueues a welcome
// email for the tenant the request came for.
func signUp(ctx context.Context, e runtime.Enqueuer, tenant, email string) error {
	ctx = runtime.WithTenant(ctx, tenant)
	_, err := sendWelcomeTask.Enqueue(ctx, e, Welcome{Email: email})
	return err
}

func Example() {
	// In a test, t is the test's *testing.T.
	t := &testing.T{}

	reg := runtime.NewRegistry()
	if err := reg.Register(sendWelcomeTask); err != nil {
		fmt.Println(err)
		return
	}
	q := tenanttest.New(t, reg, tenanttest.FailOnError())

	// The task runs inline, before signUp returns.
	if err := signUp(context.Background(), q, "acme", "ada@example.com"); err != nil {
		fmt.Println(err)
		return
	}

	e := tenanttest.RequireEnqueued(t, q, "accounts.SendWelcome")
	fmt.Println(e.ID, e.Request.Tenant, e.Request.Queue, string(e.Request.Args))
	fmt.Println(tenanttest.DecodeArgs[Welcome](t, e).Email)
	tenanttest.RequireNotEnqueued(t, q, "accounts.SendReminder")
	// Output:
	// sending a welcome email to ada@example.com
	// task-1 acme mail {"email":"ada@example.com"}
	// ada@example.com
}

func ExampleRecordOnly() {
	// In a test, t is the test's *testing.T.
	t := &testing.T{}

	// Without a registry, RecordOnly records requests and runs nothing.
	q := tenanttest.New(t, nil, tenanttest.RecordOnly())
	for _, tenant := range []string{"acme", "globex"} {
		if err := signUp(context.Background(), q, tenant, "ada@example.com"); err != nil {
			fmt.Println(err)
			return
		}
	}

	for _, e := range tenanttest.RequireEnqueuedN(t, q, "accounts.SendWelcome", 2) {
		fmt.Println(e.ID, e.Request.Tenant, e.Err)
	}
	// Output:
	// task-1 acme <nil>
	// task-2 globex <nil>
}
