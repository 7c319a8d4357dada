package testenv

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

func TestReachableReportsDeadServers(t *testing.T) {
	t.Parallel()
	// Port 1 on loopback has no server, so connecting is refused at once.
	for _, tc := range []struct {
		kind  string
		url   string
		check func(context.Context, string) error
	}{
		{"redis", "redis://127.0.0.1:1/0", pingRedis},
		{"postgres", "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable", pingPostgres},
	} {
		const timeout = 300 * time.Millisecond
		// reachable is bounded by its timeout if every check it runs gets a
		// ctx that ends by then. That is asserted on the ctx, not on the
		// time taken, which a loaded machine can stretch.
		start := time.Now()
		var first time.Time // of the first check, which follows the ctx's creation
		var unbounded []string
		check := func(ctx context.Context, url string) error {
			if first.IsZero() {
				first = time.Now()
			}
			if dl, ok := ctx.Deadline(); !ok || dl.After(first.Add(timeout)) {
				unbounded = append(unbounded, fmt.Sprintf("deadline set %v, %v after the first check", ok, dl.Sub(first)))
			}
			return tc.check(ctx, url)
		}
		if err := reachable(tc.kind, tc.url, timeout, check); err == nil {
			t.Errorf("reachable(%q) = nil, want an error", tc.url)
		}
		if len(unbounded) > 0 {
			t.Errorf("reachable(%q) ran checks with a ctx that does not end within its %v timeout: %v", tc.url, timeout, unbounded)
		}
		// A check that ignored its ctx would still hang: a refused
		// connection fails at once, so Timeout, 100 times the timeout, is
		// exceeded only by a hang.
		if elapsed := time.Since(start); elapsed > Timeout {
			t.Errorf("reachable(%q) took %v, want it bounded by its %v timeout", tc.url, elapsed, timeout)
		}
	}
}

func TestReachableChecksOncePerURL(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	failing := func(context.Context, string) error {
		calls.Add(1)
		return errors.New("down")
	}
	const url = "fake://TestReachableChecksOncePerURL"
	first := reachable("fake", url, 250*time.Millisecond, failing)
	n := calls.Load()
	if first == nil || n == 0 {
		t.Fatalf("first reachable = %v after %d calls, want an error after at least one call", first, n)
	}
	if second := reachable("fake", url, time.Minute, failing); second != first {
		t.Errorf("second reachable = %v, want the cached %v", second, first)
	}
	if got := calls.Load(); got != n {
		t.Errorf("check ran %d times after the second reachable, want %d (cached)", got, n)
	}
}
