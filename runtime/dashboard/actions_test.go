package dashboard_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
	"github.com/tenantgen/tenantgen/runtime/dashboard"
)

// state returns the state of task id, or "gone" once it is in none.
func state(t *testing.T, e *env, id runtime.TaskID) runtime.TaskState {
	t.Helper()
	ti, err := e.app.Inspector().Task(context.Background(), queueName, id)
	if errors.Is(err, runtime.ErrTaskNotFound) {
		return "gone"
	}
	if err != nil {
		t.Fatal(err)
	}
	return ti.State
}

// act posts the action of a task's form, as its button does, and returns
// where the dashboard sends the browser.
func act(t *testing.T, c *http.Client, e *env, tok, do string, id runtime.TaskID, back string) string {
	t.Helper()
	res := post(t, c, e, do, url.Values{"queue": {queueName}, "id": {string(id)}, "csrf": {tok}, "back": {back}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s: status %d, want 303", do, res.StatusCode)
	}
	return res.Header.Get("Location")
}

// TestTaskActions: the buttons of a task act on it through the Inspector:
// Run now makes a scheduled task ready, Cancel removes a ready task, and
// Delete removes a scheduled one; each sends the browser back with a
// message, and away from the page of a task that is gone.
func TestTaskActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, dashboard.Options{})
	later := e.enqueue(t, "acme", 1, runtime.Delay(time.Hour))
	doomed := e.enqueue(t, "acme", 2, runtime.Delay(time.Hour))
	c := client(t)
	status, page := get(t, c, e, "/dash/tenants/acme?queue="+queueName+"&state=scheduled")
	if status != http.StatusOK {
		t.Fatalf("GET tenant page: %d\n%s", status, page)
	}
	for _, id := range []runtime.TaskID{later, doomed} {
		if !strings.Contains(page, `aria-label="Run now task `+string(id)+`"`) {
			t.Errorf("the scheduled tasks of the tenant page have no Run now button for %s", id)
		}
	}
	tok := token(t, page)
	self := "/dash/tasks/" + queueName + "/" + string(later)

	if loc := act(t, c, e, tok, "retry", later, self); !strings.HasPrefix(loc, self+"?done=") {
		t.Errorf("retry: redirected to %q, want the task's page", loc)
	}
	if got := state(t, e, later); got != runtime.StateReady {
		t.Errorf("after Run now: state %q, want ready", got)
	}
	if loc, _ := url.Parse(act(t, c, e, tok, "cancel", later, self)); loc.Path != "/dash/tasks" || loc.Query().Get("queue") != queueName {
		t.Errorf("cancel: redirected to %q, want the queue's tasks, the task's page being gone", loc)
	}
	if got := state(t, e, later); got != "gone" {
		t.Errorf("after Cancel: state %q, want gone", got)
	}
	act(t, c, e, tok, "delete", doomed, "/dash/tenants/acme")
	if got := state(t, e, doomed); got != "gone" {
		t.Errorf("after Delete: state %q, want gone", got)
	}
	// An action that fails says why, on the page it came from.
	loc := act(t, c, e, tok, "requeue", doomed, "/dash/tenants/acme")
	if !strings.HasPrefix(loc, "/dash/tenants/acme?failed=") {
		t.Errorf("requeue of a deleted task: redirected to %q, want the tenant page with the error", loc)
	}
}

// TestRequeueAllOfATenant: the tenant page's Requeue all button requeues
// every dead task of that tenant in the queue, and only them, and they
// run in the tenant's schema.
func TestRequeueAllOfATenant(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true, dashboard.Options{})
	e.broken.Store(true)
	for n := range 3 {
		e.enqueue(t, "acme", n)
	}
	e.enqueue(t, "globex", 9)
	testenv.WaitFor(t, "the tasks to die", func() bool { return e.dead(t) == 4 })
	e.broken.Store(false)

	c := client(t)
	_, page := get(t, c, e, "/dash/tenants/acme")
	if !strings.Contains(page, "Requeue all dead tasks of acme in "+queueName) {
		t.Fatalf("the tenant page has no Requeue all button:\n%s", page)
	}
	res := post(t, c, e, "requeue-all", url.Values{"tenant": {"acme"}, "queue": {queueName}, "csrf": {token(t, page)}, "back": {"/dash/tenants/acme"}})
	if loc := res.Header.Get("Location"); !strings.Contains(loc, "done=Requeued+3") {
		t.Errorf("requeue-all: redirected to %q, want a message that counts 3 tasks", loc)
	}
	testenv.WaitFor(t, "acme's requeued tasks to run", func() bool {
		return e.written(t, "acme", 0) && e.written(t, "acme", 1) && e.written(t, "acme", 2)
	})
	if got := e.dead(t); got != 1 {
		t.Errorf("dead tasks left: %d, want globex's 1", got)
	}
}

// TestQueuePause: the overview's Pause and Resume buttons of a queue
// pause and resume the whole queue.
func TestQueuePause(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, dashboard.Options{})
	c := client(t)
	_, page := get(t, c, e, "/dash/")
	if !strings.Contains(page, `aria-label="Pause queue `+queueName+`"`) {
		t.Fatalf("the overview has no Pause button for queue %s:\n%s", queueName, page)
	}
	tok := token(t, page)
	pausedQueues := func() []string {
		st, err := e.app.Paused(context.Background(), queueName)
		if err != nil {
			t.Fatal(err)
		}
		return st.Queues
	}
	post(t, c, e, "pause", url.Values{"queue": {queueName}, "csrf": {tok}, "back": {"/dash/"}})
	if got := pausedQueues(); len(got) != 1 || got[0] != queueName {
		t.Errorf("paused queues after Pause: %q, want [%s]", got, queueName)
	}
	if _, page := get(t, c, e, "/dash/"); !strings.Contains(page, `aria-label="Resume queue `+queueName+`"`) {
		t.Errorf("the overview of a paused queue has no Resume button")
	}
	post(t, c, e, "resume", url.Values{"queue": {queueName}, "csrf": {tok}, "back": {"/dash/"}})
	if got := pausedQueues(); len(got) != 0 {
		t.Errorf("paused queues after Resume: %q, want none", got)
	}
}
