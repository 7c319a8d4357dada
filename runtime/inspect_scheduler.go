package runtime

import (
	"context"
	"time"
)

// SchedulerInfo is the state of the schedulers of the App's prefix, as
// Scheduler reports it.
type SchedulerInfo struct {
	Leader    string        // the token (holder/epoch) of the scheduler that leads; "" if none does
	LeaderTTL time.Duration // how long its lease lasts without renewal
	Entries   []ScheduleEntryInfo
	Problems  []string // problems of entries and periodic tasks rows, such as duplicate names
}

// ScheduleEntryInfo is one periodic task. Entries declared in the App's
// Config.Schedule, by cron specs of its registered tasks, and rows of
// periodic tasks tables (when Config.Schedule.Tables is set) are described
// in full; entries known only by their state in Redis (declared by other
// processes) have only ID and LastTick.
type ScheduleEntryInfo struct {
	ID       string // name@target
	Task     string
	Timing   string // the cron spec, or "every <duration>", or "at <time>" for a one-off row
	Targets  string // "all tenants", "public", or the tenant IDs
	Source   string // "go", "table <schema>", or "" when only its state is known
	LastTick time.Time
	NextRun  time.Time // zero when unknown
}

// Scheduler reports the schedulers' leader, the entries and their last and
// next ticks, and the rows of periodic tasks tables with their problems.
func (in *Inspector) Scheduler(ctx context.Context) (SchedulerInfo, error) {
	return in.scheduler(ctx)
}
