package cronspec

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 3, 1, 10, 2, 30, 0, time.UTC)
	tests := []struct {
		spec string
		next time.Time // zero: the spec is invalid
		err  string
	}{
		{spec: "*/5 * * * *", next: time.Date(2026, 3, 1, 10, 5, 0, 0, time.UTC)},
		{spec: "@hourly", next: time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)},
		{spec: "0 3 * * 1-5", next: time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)},
		{spec: "CRON_TZ=UTC 30 10 * * *", next: time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC)},
		{spec: "@every 5m", err: "@every is not supported"},
		{spec: "CRON_TZ=UTC @every 5m", err: "@every is not supported"},
		{spec: "* * * *", err: `invalid cron spec "* * * *"`},
		{spec: "61 * * * *", err: "61"},
		{spec: "0 0 * * * *", err: "expected exactly 5 fields"},
		{spec: "", err: "empty spec"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			s, err := Parse(tt.spec)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Parse(%q) = %v, want an error containing %q", tt.spec, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.spec, err)
			}
			if got := s.Next(from); !got.Equal(tt.next) {
				t.Errorf("Parse(%q).Next(%v) = %v, want %v", tt.spec, from, got, tt.next)
			}
		})
	}
}
