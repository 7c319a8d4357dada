package queue

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/internal/testenv"
)

// TestRelayIsIdempotent relays ready, delayed and unique tasks, then the
// same tasks again, as a relay does after another died before deleting
// their rows: the second relay adds nothing, and a unique task whose lock
// another task holds is dropped, with that task's ID.
func TestRelayIsIdempotent(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	c := NewClient(rdb, testConfig(t, rdb))
	ctx := t.Context()
	prepare := func(e *Envelope, due time.Time, unique time.Duration, key string) Prepared {
		t.Helper()
		task, err := c.Prepare(e, due, unique, key)
		if err != nil {
			t.Fatal(err)
		}
		return task
	}
	holder := env("t.unique", "acme", "default", `{}`)
	b := c.Batch()
	if err := b.Add(ctx, 0, holder, time.Time{}, time.Minute, "the-key"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	tasks := []Prepared{
		prepare(env("t.ready", "acme", "default", `{}`), time.Time{}, 0, ""),
		prepare(env("t.ready", "", "default", `{}`), time.Time{}, 0, ""),
		prepare(env("t.later", "globex", "default", `{}`), time.Now().Add(time.Hour), 0, ""),
		prepare(env("t.unique", "acme", "default", `{"n":1}`), time.Time{}, time.Minute, ""),
		prepare(env("t.unique", "acme", "default", `{}`), time.Time{}, time.Minute, "the-key"),
	}
	for round := range 2 {
		dups, err := c.Relay(ctx, tasks, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]string{4: holder.ID}
		if round == 1 {
			want = nil // seen: not even looked at again
		}
		if diff := cmp.Diff(want, dups); diff != "" {
			t.Errorf("round %d: duplicates (-want +got):\n%s", round, diff)
		}
		st, err := c.Stats(ctx, "default")
		if err != nil {
			t.Fatal(err)
		}
		// The holder, the two ready tasks and the unique one are ready; the
		// later one is scheduled.
		if diff := cmp.Diff(Stats{Ready: 4, Scheduled: 1}, st); diff != "" {
			t.Errorf("round %d: stats (-want +got):\n%s", round, diff)
		}
	}
}
