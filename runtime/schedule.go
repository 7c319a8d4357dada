package runtime

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/tenantgen/tenantgen/internal/schedule"
)

// Entry is a periodic task of a Scheduler: a registered task, when to run
// it (Cron or Every), and for whom (Tenants, or every tenant).
//
// The scheduler enqueues the task once per tick for each target. A public
// task has one target, the shared schema. Any other task runs for the
// tenants listed in Tenants, or, when Tenants is empty, for every ready
// tenant that passes SchedulerConfig.Filter at the time of the tick:
// tenants created after the scheduler started are included, deleted and
// not-ready ones are skipped.
type Entry struct {
	// Name identifies the entry. With its target it forms the entry's ID:
	// name@tenant for an entry of one tenant, name@__all__ for an entry of
	// every tenant, name@public for a public task. Default: the task name.
	Name string

	// Task is the name of the registered task to enqueue.
	Task string

	// Args are the task's JSON-encoded arguments. Default: [], the
	// arguments of a task that takes none.
	Args json.RawMessage

	// Cron is a cron spec: five fields (minute, hour, day of month, month,
	// day of week) or a descriptor such as @hourly or @daily, in UTC unless
	// it starts with CRON_TZ=<zone>. Set Cron or Every, not both.
	Cron string

	// Every runs the entry at a fixed interval, at least one second, on
	// ticks aligned to the Unix epoch (Every: time.Hour runs on the hour).
	Every time.Duration

	// Tenants lists the tenants to run the entry for. Empty: every ready
	// tenant that passes the scheduler's filter. A public task takes none.
	Tenants []string

	// Spread is the window over which the tasks of one tick are spread
	// when the entry has more than one target: each tenant's task runs at
	// the tick plus a stable offset in [0, Spread), a hash of the entry and
	// the tenant. Zero means SchedulerConfig.Spread; negative means no
	// spreading. It is capped at the time to the next tick.
	Spread time.Duration
}

// AllTenants is the target of an entry of every tenant in its ID,
// name@__all__.
const AllTenants = schedule.AllTenants

// PublicTarget is the target of an entry of a public task in its ID,
// name@public.
const PublicTarget = schedule.PublicTarget

// MissedPolicy says what a scheduler does with ticks that passed while no
// scheduler was running (more than SchedulerConfig.Grace ago).
type MissedPolicy int

const (
	// MissedSkip drops missed ticks: the entry next runs at its next
	// tick. It is the default.
	MissedSkip MissedPolicy = iota

	// MissedCatchUp runs an entry that missed ticks once, as soon as a
	// scheduler runs again, however many ticks it missed.
	MissedCatchUp
)

func (p MissedPolicy) String() string {
	switch p {
	case MissedSkip:
		return "MissedSkip"
	case MissedCatchUp:
		return "MissedCatchUp"
	}
	return "MissedPolicy(" + strconv.Itoa(int(p)) + ")"
}
