package schedule

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/internal/cronspec"
)

func TestEvery(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	tests := []struct {
		name              string
		d                 time.Duration
		t                 time.Time
		wantNext, wantFlr time.Time
	}{
		{"between ticks", time.Hour, at("2026-01-02T10:30:00Z"), at("2026-01-02T11:00:00Z"), at("2026-01-02T10:00:00Z")},
		{"on a tick", time.Hour, at("2026-01-02T10:00:00Z"), at("2026-01-02T11:00:00Z"), at("2026-01-02T10:00:00Z")},
		{"aligned to the epoch", 7 * time.Second, time.Unix(20, 0).UTC(), time.Unix(21, 0).UTC(), time.Unix(14, 0).UTC()},
		{"before the epoch", time.Minute, time.Unix(-90, 0).UTC(), time.Unix(-60, 0).UTC(), time.Unix(-120, 0).UTC()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.wantNext, every(tt.d).Next(tt.t)); diff != "" {
				t.Errorf("Next mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantFlr, every(tt.d).floor(tt.t)); diff != "" {
				t.Errorf("floor mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDue(t *testing.T) {
	t.Parallel()
	hourly, err := cronspec.Parse("@hourly")
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	h := func(n float64) time.Time { return base.Add(time.Duration(n * float64(time.Hour))) }
	type result struct{ Run, Handled time.Time }
	tests := []struct {
		name    string
		timing  timing
		last    time.Time
		now     time.Time
		catchUp bool
		want    result
	}{
		{"not due", every(time.Hour), h(0), h(0.5), false, result{time.Time{}, h(0)}},
		{"due on time", every(time.Hour), h(0), h(1), false, result{h(1), h(1)}},
		{"due within grace", every(time.Hour), h(0), h(1.01), false, result{h(1), h(1)}},
		{"missed, skipped", every(time.Hour), h(0), h(3.5), false, result{time.Time{}, h(3)}},
		{"missed, caught up once", every(time.Hour), h(0), h(3.5), true, result{h(3), h(3)}},
		{"cron due on time", hourly, h(0), h(1), false, result{h(1), h(1)}},
		{"cron missed, skipped", hourly, h(0), h(3.5), false, result{time.Time{}, h(3)}},
		{"cron missed, caught up once", hourly, h(0), h(3.5), true, result{h(3), h(3)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run, handled := due(tt.timing, tt.last, tt.now, time.Minute, tt.catchUp)
			if diff := cmp.Diff(tt.want, result{run, handled}); diff != "" {
				t.Errorf("due mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewTimingErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, spec string
		d          time.Duration
		want       string
	}{
		{"both", "@hourly", time.Minute, "set a cron spec or an interval, not both"},
		{"too short", "", time.Millisecond, "interval 1ms is shorter than one second; set a cron spec or an interval of at least 1s"},
		{"none", "", 0, "interval 0s is shorter than one second; set a cron spec or an interval of at least 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := newTiming(tt.spec, tt.d)
			if err == nil {
				t.Fatal("newTiming succeeded, want an error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
