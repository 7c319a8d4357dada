// Package tenanttest helps unit-test code that enqueues tenantgen tasks,
// without Redis. It is tenantgen's counterpart of Celery's task_always_eager
// setting and of River's rivertest package.
//
// A Queue is a runtime.Enqueuer to pass to generated Enqueue functions in
// place of the App. It records every Request it accepts and, by default,
// runs the task at once through the Registry given to New, in the goroutine
// that enqueued it. The assertions RequireEnqueued, RequireNotEnqueued and
// RequireEnqueuedN check what was enqueued, and DecodeArgs decodes a
// recorded task's arguments:
//
//	func TestSignup(t *testing.T) {
//		reg := runtime.NewRegistry()
//		if err := billing.RegisterTasks(reg); err != nil {
//			t.Fatal(err)
//		}
//		q := tenanttest.New(t, reg, tenanttest.FailOnError())
//
//		ctx := runtime.WithTenant(t.Context(), "acme")
//		if err := Signup(ctx, q, "cus_1"); err != nil {
//			t.Fatal(err)
//		}
//
//		e := tenanttest.RequireEnqueued(t, q, "github.com/tenantgen/tenantgen/example/billing.ChargeCard")
//		if got, want := string(e.Request.Args), `["cus_1",1250]`; got != want {
//			t.Errorf("ChargeCard arguments = %s, want %s", got, want)
//		}
//	}
//
// # Running tasks inline
//
// A task runs as a worker would run it: its arguments are decoded from the
// JSON of the Request, so the encoding round trip of production is
// exercised, and its context carries the Request's tenant, so tasks it
// enqueues inherit that tenant. As on a worker, the context does not carry
// the values of the context passed to Enqueue; it derives from the test's
// context (testing.TB.Context) and is cancelled when the test ends. A panic
// in a task becomes a *runtime.PanicError.
//
// Tasks that a running task enqueues, with its context or one derived from
// it, wait until it returns and then run in the order they were enqueued;
// the outermost Enqueue call returns once they have all run. Tasks enqueued
// from separate goroutines with unrelated contexts run concurrently, each in
// the goroutine that enqueued it.
//
// A task that fails does not fail the Enqueue call, as in production, where
// tasks fail on the worker: its error is recorded in Enqueued.Err. With the
// FailOnError option, a failed task also fails the test. The RecordOnly
// option records requests without running anything.
//
// Inside a task, runtime.JobFrom returns its job, as on a worker: the ID
// the Queue gave it, its name, tenant, queue ("default" when the request
// names none, as with an App's default configuration), attempt 1, its
// arguments, headers, enqueue time and the registered task's settings. The
// Middleware option runs tasks through middleware, as
// runtime.Config.Middleware does on a worker.
//
// # Tenancy
//
// Without databases, a task's context carries its tenant ID, so the tasks
// it enqueues inherit it, but runtime.DB and runtime.TaskTenant have
// nothing to give. To test tasks against real databases, open an App on
// them and pass its tenancy layer as middleware; tasks then resolve their
// tenant and get their databases switched to its schema, as on a worker:
//
//	q := tenanttest.New(t, reg, tenanttest.Middleware(app.Tenancy))
//
// Unique tasks are enforced as an App enforces them: enqueueing a task with
// a unique window again within the window, for the same queue, tenant and
// encoded arguments, records and runs nothing and returns the first task's
// ID with an error wrapping runtime.ErrDuplicate.
//
// Inline runs are otherwise deliberately simpler than a worker. Each task
// runs once and is not retried; a task delayed with runtime.At or
// runtime.Delay runs at once, though its RunAt is recorded; Timeout and
// Deadline are recorded but not enforced. The Request is recorded as the
// Queue received it, without the defaults an App fills in, such as the
// queue name.
//
// # Arguments
//
// Enqueued.Request.Args holds the JSON-encoded arguments. Tasks that take a
// struct decode with DecodeArgs. Tasks with plain parameters encode them as
// a JSON array in parameter order, in a generated type that other packages
// cannot name; compare the JSON instead, as above, or decode it with
// runtime.UnmarshalParams.
package tenanttest
