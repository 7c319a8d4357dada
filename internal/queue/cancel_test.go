package queue

import (
	"context"
	"testing"
)

// TestCancelsStaleRequests: a cancel request reaches only the attempt it
// was made for. A message for a task this worker does not run is not kept
// for later, and a heartbeat's lookup, read for one attempt, does not
// cancel the next attempt of a task requeued under the same ID.
func TestCancelsStaleRequests(t *testing.T) {
	t.Parallel()
	c := &cancels{running: map[string]*cancelled{}}
	start := func() (context.Context, uint64) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		c.track("default", "task1", cancel)
		return ctx, c.running["task1"].run
	}

	if c.request("task1", 0) {
		t.Fatal("a request for a task not running here reported it cancelled")
	}
	ctx, _ := start()
	if ctx.Err() != nil {
		t.Fatal("a message that came before the task started cancelled it as it started")
	}
	if !c.request("task1", 0) || ctx.Err() == nil {
		t.Fatal("a message for the running task did not cancel it")
	}
	if !c.untrack("task1") {
		t.Error("untrack did not report the attempt cancelled through the Inspector")
	}

	_, first := start()
	checks := c.byQueue()["default"] // a heartbeat reads its lookups...
	c.untrack("task1")               // ...the attempt settles...
	ctx2, second := start()          // ...and the task, requeued, runs again
	if first == second {
		t.Fatalf("two attempts share run number %d", first)
	}
	if c.request("task1", checks.runs[0]) || ctx2.Err() != nil {
		t.Error("a lookup read for the previous attempt cancelled the next one")
	}
	if !c.request("task1", second) || ctx2.Err() == nil {
		t.Error("a lookup for the running attempt did not cancel it")
	}
}
