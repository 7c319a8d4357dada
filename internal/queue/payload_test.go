package queue

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/internal/testenv"
)

// TestPayloadRefusedAtEnqueue: a task over MaxPayload is refused with a
// *PayloadError giving its size and the limit.
func TestPayloadRefusedAtEnqueue(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	cfg := testConfig(t, rdb)
	cfg.MaxPayload = 1000
	c := NewClient(rdb, cfg)
	b := c.Batch()
	e := env("t.big", "acme", "default", `"`+strings.Repeat("x", 2000)+`"`)
	err := b.Add(t.Context(), 0, e, time.Time{}, 0, "")
	var pe *PayloadError
	if !errors.As(err, &pe) || pe.Limit != 1000 || pe.Size < 2000 {
		t.Fatalf("Add of a 2 kB task with MaxPayload 1000 = %v, want a *PayloadError with its size and the limit", err)
	}
}

// TestPayloadOversizeElement: an element over MaxPayload that got into a
// lane anyway (10 MB of garbage, written by hand) is dead-lettered by the
// fetch, with a short record and its size: the worker never reads it, and
// the tasks behind it run.
func TestPayloadOversizeElement(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	cfg := testConfig(t, rdb)
	c := NewClient(rdb, cfg)
	ctx := t.Context()
	k := queueKeys(cfg.Prefix, "default", 0)
	const size = 10 << 20
	garbage := `{"v":1,"id":"HUGE1","task":"t.x",` + strings.Repeat("\x07garbage", size/8)
	garbage = garbage[:size]
	if err := rdb.RPush(ctx, k.lane("acme"), garbage).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.RPush(ctx, k.ring, "acme").Err(); err != nil {
		t.Fatal(err)
	}
	enqueue(t, c, env("t.small", "acme", "default", "{}"))
	var ran, huge atomic.Int32
	startWorker(t, c, funcRunner(func(_ context.Context, e *Envelope) error {
		ran.Add(1)
		if e.ID == "HUGE1" {
			huge.Add(1)
		}
		return nil
	}))
	testenv.WaitFor(t, "the task behind the oversize element", func() bool { return ran.Load() == 1 })
	if huge.Load() != 0 {
		t.Error("the oversize element ran")
	}
	dead, err := c.DeadTasks(ctx, "default", 10)
	if err != nil || len(dead) != 1 {
		t.Fatalf("DeadTasks = %v, %v; want the oversize element", dead, err)
	}
	d := dead[0]
	if d.ID != "HUGE1" || !strings.Contains(d.Error, "10485760 bytes") || !strings.Contains(d.Error, "MaxPayload of 1048576 bytes") || !strings.Contains(d.Error, "database") {
		t.Errorf("dead record: ID %q, error %q; want ID HUGE1 and an error giving the size, the limit and what to do", d.ID, d.Error)
	}
	if len(d.Args) > 400 {
		t.Errorf("the dead record keeps %d bytes of the element, want a short prefix", len(d.Args))
	}
}
