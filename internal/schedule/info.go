package schedule

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// cronTiming is the timing of a cron spec, which it keeps to describe the
// entry (Entry.Timing).
type cronTiming struct {
	cron.Schedule
	spec string
}

func (c cronTiming) String() string { return c.spec }

func (d every) String() string { return "every " + time.Duration(d).String() }

// Timing describes when the entry runs: its cron spec, "every <interval>",
// or "at <time>" for a one-off row.
func (e *Entry) Timing() string {
	if e.timing == nil {
		return "at " + e.clocked.UTC().Format(time.RFC3339)
	}
	return fmt.Sprint(e.timing)
}

// Targets describes whom the entry runs for: "public", "all tenants", or
// its tenant IDs.
func (e *Entry) Targets() string {
	switch {
	case e.public:
		return "public"
	case e.tenants == nil:
		return "all tenants"
	case len(e.tenants) == 0:
		return "no tenant"
	}
	return strings.Join(e.tenants, ",")
}

// Source says where the entry was declared: "go" (Go or a cron spec), or
// "table <schema>" for a row of a periodic tasks table.
func (e *Entry) Source() string {
	if e.schema != "" {
		return "table " + e.schema
	}
	return "go"
}

// Next returns the entry's first tick after last, its last handled tick,
// or after now if it has none; zero for a one-off row that ran.
func (e *Entry) Next(last, now time.Time) time.Time {
	if e.timing == nil {
		if !e.lastRun.IsZero() && !e.lastRun.Before(e.clocked) {
			return time.Time{}
		}
		return e.clocked
	}
	if last.IsZero() {
		last = now
	}
	return e.timing.Next(last)
}

// Describe returns the engine's entries declared in Go and by cron specs,
// and, if it reads periodic tasks tables, their rows, with the problems of
// the rows it would skip: what Tick would run, without running it.
func (e *Engine) Describe(ctx context.Context) ([]*Entry, []error, error) {
	entries := slices.Clone(e.entries)
	if e.cfg.Tables == nil {
		return entries, nil, nil
	}
	rows, problems, err := e.loadTables(ctx, func() ([]Tenant, error) { return e.cfg.Tenants(ctx) })
	if err != nil {
		return entries, nil, err
	}
	for _, r := range rows {
		if _, dup := slices.BinarySearchFunc(e.entries, r.id, func(en *Entry, id string) int { return cmp.Compare(en.id, id) }); dup {
			problems = append(problems, fmt.Errorf("periodic task %q of schema %q has the name of an entry declared in Go; row skipped", r.id, r.schema))
			continue
		}
		entries = append(entries, r)
	}
	return entries, problems, nil
}
