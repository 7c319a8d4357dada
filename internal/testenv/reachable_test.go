package testenv

import (
	"context"
	"errors"
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
		start := time.Now()
		if err := reachable(tc.kind, tc.url, 300*time.Millisecond, tc.check); err == nil {
			t.Errorf("reachable(%q) = nil, want an error", tc.url)
		}
		if elapsed := time.Since(start); elapsed > 5*time.Second {
			t.Errorf("reachable(%q) took %v, want it bounded by its timeout", tc.url, elapsed)
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
