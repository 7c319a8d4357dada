package queue

import (
	"testing"
	"time"
)

func TestAheadExtra(t *testing.T) {
	t.Parallel()
	const concurrency = 16
	for _, tc := range []struct {
		name      string
		run, trip time.Duration // the averages; 0: no sample
		free      int
		want      int
	}{
		{"no sample yet", 0, 0, 16, 0},
		{"no trip yet", 10 * time.Microsecond, 0, 16, 0},
		{"no-op tasks: as many again", 10 * time.Microsecond, 300 * time.Microsecond, 16, 16},
		{"no more than the free slots", 10 * time.Microsecond, 300 * time.Microsecond, 3, 3},
		{"tasks as long as a trip: one round's worth", 300 * time.Microsecond, 300 * time.Microsecond, 16, 16},
		{"tasks of 2 ms", 2 * time.Millisecond, 300 * time.Microsecond, 16, 2},
		{"long tasks: none", time.Second, 300 * time.Microsecond, 16, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var m aheadMeter
			if tc.run > 0 {
				m.noteRun(tc.run)
			}
			if tc.trip > 0 {
				m.noteTrip(tc.trip)
			}
			if got := m.extra(tc.free, concurrency); got != tc.want {
				t.Errorf("extra(%d, %d) = %d, want %d", tc.free, concurrency, got, tc.want)
			}
		})
	}
}

func TestAheadHandBack(t *testing.T) {
	t.Parallel()
	var m aheadMeter
	m.noteRun(10 * time.Microsecond)
	m.noteTrip(10 * time.Microsecond)
	for _, want := range []int{16, 8, 4, 2, 1, 0} {
		if got := m.extra(16, 16); got != want {
			t.Fatalf("extra = %d, want %d: each hand-back halves it", got, want)
		}
		m.noteHandBack()
	}
}

func TestAheadWait(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		trip, want time.Duration
	}{
		{100 * time.Microsecond, time.Millisecond},
		{3 * time.Millisecond, 6 * time.Millisecond},
		{time.Second, aheadMaxWait},
	} {
		var m aheadMeter
		m.noteTrip(tc.trip)
		if got := m.wait(); got != tc.want {
			t.Errorf("wait() after a trip of %v = %v, want %v", tc.trip, got, tc.want)
		}
	}
}

func TestMovingAverage(t *testing.T) {
	t.Parallel()
	avg := movingAverage(0, 800)
	if avg != 800 {
		t.Fatalf("first sample: average %v, want 800ns", avg)
	}
	if avg = movingAverage(avg, 1600); avg != 900 {
		t.Errorf("second sample: average %v, want 900ns (an eighth of the way)", avg)
	}
}
