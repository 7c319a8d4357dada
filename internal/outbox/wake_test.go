package outbox

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/internal/testenv"
)

// TestWakerListens checks that a waker wakes on a notification of its
// schema's outbox (after one of another schema's), and polls once its
// listening connection is gone, saying so.
func TestWakerListens(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	logs := &testenv.Logs{}
	schema := fmt.Sprintf("tg_wake_%d", time.Now().UnixNano()) // a payload only: no schema is made
	r := &Relay{Pool: pool, Table: NewTable(schema), Poll: time.Minute, Listen: true, Logger: slog.New(slog.NewTextHandler(logs, nil))}
	ctx := t.Context()
	w := newWaker(ctx, r)
	t.Cleanup(w.close)
	if w.conn == nil {
		t.Fatalf("the waker does not listen; logs:\n%s", logs.String())
	}

	woke := make(chan struct{})
	go func() { w.wait(ctx, testenv.Timeout); close(woke) }()
	notify := func(payload string) {
		t.Helper()
		if _, err := pool.Exec(ctx, "select pg_notify($1, $2)", Channel, payload); err != nil {
			t.Fatal(err)
		}
	}
	notify("another_schema")
	notify(schema)
	select {
	case <-woke:
	case <-time.After(testenv.Timeout):
		t.Fatal("the waker did not wake on its schema's notification")
	}

	// A listening connection that dies leaves the waker polling.
	if _, err := pool.Exec(ctx, "select pg_terminate_backend($1)", w.conn.PgConn().PID()); err != nil {
		t.Fatal(err)
	}
	w.wait(ctx, testenv.Timeout) // returns when the connection breaks
	if w.conn != nil {
		t.Fatal("the waker still holds the dead connection")
	}
	if !strings.Contains(logs.String(), "lost its listening connection") {
		t.Errorf("no log of the lost connection; logs:\n%s", logs.String())
	}
}
