package testenv

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Timeout is how long WaitFor and Eventually wait for a condition. What
// tests wait for (a task to run, a worker to notice a change, a server to
// answer) takes milliseconds, but on a 2-core machine shared with other
// builds, under -race, which slows code down tenfold, a goroutine can stall
// for seconds. A wait that times out means a bug or a hang, so a generous
// deadline costs nothing when tests pass and only delays the report when
// they fail.
const Timeout = 30 * time.Second

const (
	// minPollInterval is the first pause of poll: most conditions hold
	// within milliseconds.
	minPollInterval = time.Millisecond
	// maxPollInterval caps the pause of poll, which doubles after each
	// attempt, so that a long wait does not load the servers a condition
	// queries.
	maxPollInterval = 20 * time.Millisecond
)

// errNotYet is what poll reports for a condition that never held.
var errNotYet = errors.New("the condition does not hold")

// WaitFor polls cond until it holds, and fails the test if it does not hold
// within Timeout. what says what the test waits for, as in "every task to
// run". cond runs on the calling goroutine, so it may call t.Fatal; WaitFor
// itself must be called from the test's goroutine.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !Eventually(cond) {
		t.Fatalf("testenv: timed out after %v waiting for %s", Timeout, what)
	}
}

// Eventually polls cond until it holds or Timeout has passed, and reports
// whether it held. It is WaitFor for code that must not fail a test at once:
// a subprocess scenario, which has no test, or a test that must stop a
// worker before it reports the failure.
func Eventually(cond func() bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	return poll(ctx, func() error {
		if cond() {
			return nil
		}
		return errNotYet
	}) == nil
}

// poll calls f until it succeeds or ctx is done, pausing between attempts
// from minPollInterval, doubling, up to maxPollInterval. On failure it
// returns the last error f gave before ctx ran out, which says more than
// the deadline that cut the final attempt.
func poll(ctx context.Context, f func() error) error {
	pause := minPollInterval
	timer := time.NewTimer(pause)
	defer timer.Stop()
	var last error
	for {
		err := f()
		if err == nil {
			return nil
		}
		if last == nil || ctx.Err() == nil {
			last = err
		}
		timer.Reset(pause)
		select {
		case <-ctx.Done():
			return last
		case <-timer.C:
		}
		pause = min(2*pause, maxPollInterval)
	}
}
