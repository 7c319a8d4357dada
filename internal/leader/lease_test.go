package leader

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/internal/testenv"
)

// One holder at a time leads; a deposed holder's fenced writes are
// refused, and a released lease goes to the next holder with a new epoch.
func TestLeaseFencing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb := testenv.Redis(t)
	base := testenv.UniqueKey(t, "{lease}")
	hash := base + ":state"
	lease := func(holder string) *Lease {
		return New(rdb, Config{Key: base + ":leader", EpochKey: base + ":epoch", Holder: holder, TTL: 10 * time.Second})
	}
	a, b := lease("a"), lease("b")

	type step struct {
		name string
		do   func() (string, error) // returns the token or the write's outcome
		want string
	}
	hset := func(l *Lease, v string) func() (string, error) {
		return func() (string, error) {
			ok, err := l.HSet(ctx, hash, []any{"f", v})
			if !ok {
				return "refused", err
			}
			return "written", err
		}
	}
	steps := []step{
		{"a takes the lease", func() (string, error) { return a.Acquire(ctx) }, "a/1"},
		{"b is refused", func() (string, error) { return b.Acquire(ctx) }, ""},
		{"a renews it", func() (string, error) { return a.Acquire(ctx) }, "a/1"},
		{"a keeps it without renewing", func() (string, error) { return a.Keep(ctx) }, "a/1"},
		{"a writes under it", hset(a, "1"), "written"},
		{"the lease expires", func() (string, error) { return "", rdb.Del(ctx, base+":leader").Err() }, ""},
		{"b takes it with a new epoch", func() (string, error) { return b.Acquire(ctx) }, "b/2"},
		{"deposed a writes", hset(a, "2"), "refused"},
		{"a forgot its token", func() (string, error) { return a.Token(), nil }, ""},
		{"deposed a releases nothing", func() (string, error) { return "", a.Release(ctx) }, ""},
		{"b writes under it", hset(b, "3"), "written"},
		{"b releases it", func() (string, error) { err := b.Release(ctx); return b.Token(), err }, ""},
		{"a takes it at once", func() (string, error) { return a.Acquire(ctx) }, "a/3"},
	}
	for _, s := range steps {
		got, err := s.do()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Fatalf("%s: mismatch (-want +got):\n%s", s.name, diff)
		}
	}
	v, err := rdb.HGet(ctx, hash, "f").Result()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("3", v); diff != "" {
		t.Errorf("hash field after the deposed write (-want +got):\n%s", diff)
	}
	for _, k := range []string{base + ":leader", base + ":epoch", hash} {
		rdb.Del(ctx, k)
	}
}
