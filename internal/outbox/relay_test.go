package outbox

import (
	"strings"
	"testing"
	"time"
)

// TestBackoff checks the relay's pause after consecutive failures: from
// about 100ms, doubling, never above maxBackoff nor below three quarters
// of the undisturbed pause.
func TestBackoff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		failures int
		want     time.Duration // before jitter
	}{
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{3, 400 * time.Millisecond},
		{6, 3200 * time.Millisecond},
		{7, maxBackoff},
		{1000, maxBackoff},
	} {
		for range 100 {
			if got := backoff(tc.failures); got > tc.want || got < tc.want*3/4 {
				t.Fatalf("backoff(%d) = %v, want from %v to %v", tc.failures, got, tc.want*3/4, tc.want)
			}
		}
	}
}

// TestTableStatements checks that the statements name the table in its
// schema, quoted, so that a transaction's search_path (a tenant's, in a
// task) does not change where the rows go.
func TestTableStatements(t *testing.T) {
	t.Parallel()
	tb := NewTable("My Shared")
	const want = `"My Shared"."tenantgen_outbox"`
	for name, sql := range map[string]string{"insert": tb.insert, "take": tb.take, "stats": tb.stats} {
		if !strings.Contains(sql, want) {
			t.Errorf("%s statement %q does not name %s", name, sql, want)
		}
	}
}
