package testenv

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWaitForReturnsOnceCondHolds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		holds int // the call of cond that first returns true
	}{
		{"at once", 1},
		{"on the tenth call", 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			WaitFor(t, "the condition", func() bool {
				calls++
				return calls >= tc.holds
			})
			if calls != tc.holds {
				t.Errorf("cond ran %d times, want %d: WaitFor must stop polling once it holds", calls, tc.holds)
			}
		})
	}
}

func TestEventuallyReportsCondHeld(t *testing.T) {
	t.Parallel()
	calls := 0
	if !Eventually(func() bool { calls++; return calls == 3 }) {
		t.Fatal("Eventually = false for a condition that held on the third call")
	}
	if calls != 3 {
		t.Errorf("cond ran %d times, want 3", calls)
	}
}

func TestPoll(t *testing.T) {
	t.Parallel()
	down := errors.New("down")
	for _, tc := range []struct {
		name     string
		ok       int // the call of f that first succeeds; 0: none
		deadline time.Duration
		want     string // poll's error; "" for nil
	}{
		{"succeeds", 5, Timeout, ""},
		// The deadline cuts the wait short: poll reports what f said
		// before it, not that the deadline passed.
		{"never succeeds", 0, 50 * time.Millisecond, "down"},
		{"deadline already passed", 0, 0, "context deadline exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), tc.deadline)
			defer cancel()
			calls := 0
			err := poll(ctx, func() error {
				calls++
				if calls == tc.ok {
					return nil
				}
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return down
			})
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("poll error (-want +got):\n%s", diff)
			}
			if tc.ok > 0 && calls != tc.ok {
				t.Errorf("f ran %d times, want %d", calls, tc.ok)
			}
			if calls == 0 {
				t.Error("f never ran; poll must try at least once")
			}
		})
	}
}
