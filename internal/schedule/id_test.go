package schedule

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The IDs of ticks must not change between releases: schedulers of two
// versions running side by side during a deploy must compute the same.
func TestTickIDIsStable(t *testing.T) {
	t.Parallel()
	tick := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name, id, tenant string
		want             string
	}{
		{"tenant", "report@__all__", "tenant1", "SVSSV3YMAIJ62SQ6IK3JDT6RTLM"},
		{"public", "rates@public", "", "SHJS7DOL54XIGJBK4M3QXIK2WDU"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tickID(tt.id, tt.tenant, tick)); diff != "" {
				t.Errorf("tickID mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if tickID("report@__all__", "tenant1", tick) == tickID("report@__all__", "tenant1", tick.Add(time.Hour)) {
		t.Error("two ticks of one entry and tenant have the same ID")
	}
}

func TestOffset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		spread time.Duration
		want   time.Duration
	}{
		{"no spread", 0, 0},
		{"negative spread", -time.Minute, 0},
		{"ten minutes", 10 * time.Minute, -1}, // -1: any value in [0, spread)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := offset("report@__all__", "tenant1", tt.spread)
			if tt.want >= 0 {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("offset mismatch (-want +got):\n%s", diff)
				}
				return
			}
			if got < 0 || got >= tt.spread {
				t.Errorf("offset = %v, want one in [0, %v)", got, tt.spread)
			}
			if again := offset("report@__all__", "tenant1", tt.spread); again != got {
				t.Errorf("offset = %v, then %v; want a stable offset", got, again)
			}
		})
	}
}
