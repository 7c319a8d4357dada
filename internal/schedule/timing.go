package schedule

import (
	"errors"
	"fmt"
	"time"

	"github.com/tenantgen/tenantgen/internal/cronspec"
)

// timing gives the ticks of an entry.
type timing interface {
	// Next returns the first tick strictly after t.
	Next(t time.Time) time.Time
}

// every is the timing of an interval: multiples of d since the Unix epoch.
type every time.Duration

func (d every) Next(t time.Time) time.Time {
	n := t.UnixNano()
	k := n / int64(d)
	if n < 0 && n%int64(d) != 0 {
		k-- // floor division
	}
	return time.Unix(0, (k+1)*int64(d)).UTC()
}

// floor returns the last tick at or before t.
func (d every) floor(t time.Time) time.Time {
	n := t.UnixNano()
	k := n / int64(d)
	if n < 0 && n%int64(d) != 0 {
		k--
	}
	return time.Unix(0, k*int64(d)).UTC()
}

// newTiming returns the timing of a cron spec or an interval.
func newTiming(spec string, d time.Duration) (timing, error) {
	switch {
	case spec != "" && d != 0:
		return nil, errors.New("set a cron spec or an interval, not both")
	case spec != "":
		s, err := cronspec.Parse(spec)
		if err != nil {
			return nil, err
		}
		return cronTiming{s, spec}, nil
	case d < time.Second:
		return nil, fmt.Errorf("interval %v is shorter than one second; set a cron spec or an interval of at least 1s", d)
	}
	return every(d), nil
}

// due returns the tick to run now for an entry whose last handled tick is
// last, if any, and the tick to record as handled. Ticks more than grace
// before now are missed: they are dropped, or with catchUp the latest of
// them runs once.
func due(t timing, last, now time.Time, grace time.Duration, catchUp bool) (run, handled time.Time) {
	first := t.Next(last)
	if first.After(now) {
		return time.Time{}, last
	}
	latest := first
	if ev, ok := t.(every); ok {
		latest = ev.floor(now)
	} else {
		for i := 0; i < 1_000_000; i++ {
			n := t.Next(latest)
			if n.After(now) || !n.After(latest) {
				break
			}
			latest = n
		}
	}
	if now.Sub(latest) <= grace || catchUp {
		return latest, latest
	}
	return time.Time{}, latest
}
