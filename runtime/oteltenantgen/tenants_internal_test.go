package oteltenantgen

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestTenantLabels checks the allow-list, the first tenants named while
// there is room, and the ranking of the busiest at the end of a window.
func TestTenantLabels(t *testing.T) {
	t.Parallel()
	if newTenantLabels(nil, 0, time.Minute) != nil {
		t.Fatal("labels without an allow-list or top-N are not nil: the tenant would be an attribute by default")
	}
	l := newTenantLabels([]string{"vip"}, 2, time.Hour)
	labels := func(ids ...string) []string {
		var out []string
		for _, id := range ids {
			out = append(out, l.label(id))
		}
		return out
	}
	for _, id := range []string{"a", "b", "c", "c", "c", "b"} {
		l.seen(id)
	}
	if diff := cmp.Diff([]string{"vip", "a", "b", "other", ""}, labels("vip", "a", "b", "c", "")); diff != "" {
		t.Errorf("labels in the first window (-want +got):\n%s", diff)
	}
	// The window ends: c (3 tasks) and b (2) are the busiest.
	l.ends = time.Now().Add(-time.Second)
	l.seen("d")
	if diff := cmp.Diff([]string{"vip", "other", "b", "c", "other"}, labels("vip", "a", "b", "c", "d")); diff != "" {
		t.Errorf("labels after the window (-want +got):\n%s", diff)
	}
}
