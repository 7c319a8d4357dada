package runtime

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tenantgen/tenantgen/internal/cronspec"
	"github.com/tenantgen/tenantgen/internal/names"
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
const AllTenants = "__all__"

// PublicTarget is the target of an entry of a public task in its ID,
// name@public.
const PublicTarget = "public"

// timing gives the ticks of an entry.
type timing interface {
	// Next returns the first tick strictly after t.
	Next(t time.Time) time.Time
}

// every is the timing of Entry.Every: multiples of d since the Unix epoch.
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

// entry is an Entry ready to run, from Go, a cron= directive, or a row of
// a periodic tasks table.
type entry struct {
	id      string // name@target, the key of its state
	name    string
	spec    TaskSpec // of the task
	args    []byte
	timing  timing
	tenants []string // explicit targets; nil: all tenants (unless public)
	spread  time.Duration

	// Rows of a periodic tasks table only.
	schema  string    // the schema holding the row
	clocked time.Time // one-off: run once at this time, then disable
	lastRun time.Time // the row's last_run_at
}

// public reports whether the entry runs once, in the shared schema.
func (e *entry) public() bool { return e.spec.Public }

// buildEntry checks e against the registry and returns it ready to run.
func buildEntry(e Entry, reg *Registry, defaultSpread time.Duration) (*entry, error) {
	if e.Task == "" {
		return nil, fmt.Errorf("entry %q names no task", e.Name)
	}
	name := e.Name
	if name == "" {
		name = e.Task
	}
	def, ok := reg.Lookup(e.Task)
	if !ok {
		return nil, fmt.Errorf("entry %q: task %q is not registered", name, e.Task)
	}
	if strings.Contains(name, "@") {
		return nil, fmt.Errorf("entry name %q must not contain @: the scheduler adds the target", name)
	}
	en := &entry{name: name, spec: def.Spec(), args: e.Args}
	if len(en.args) == 0 {
		en.args = []byte("[]")
	}
	if !json.Valid(en.args) {
		return nil, fmt.Errorf("entry %q: arguments are not valid JSON", name)
	}
	var err error
	if en.timing, err = newTiming(e.Cron, e.Every); err != nil {
		return nil, fmt.Errorf("entry %q: %w", name, err)
	}
	switch {
	case en.public() && len(e.Tenants) > 0:
		return nil, fmt.Errorf("entry %q: task %q is public and runs without a tenant; remove Tenants", name, e.Task)
	case en.public():
		en.id = name + "@" + PublicTarget
	case len(e.Tenants) == 0:
		en.id = name + "@" + AllTenants
	case len(e.Tenants) == 1:
		en.id = name + "@" + e.Tenants[0]
	default:
		en.id = name + "@" + strings.Join(e.Tenants, ",")
	}
	for _, id := range e.Tenants {
		if err := names.CheckTenant(id); err != nil {
			return nil, fmt.Errorf("entry %q: %w", name, err)
		}
	}
	en.tenants = append([]string(nil), e.Tenants...)
	switch {
	case e.Spread < 0:
		en.spread = 0
	case e.Spread == 0:
		en.spread = defaultSpread
	default:
		en.spread = e.Spread
	}
	return en, nil
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
		return s, nil
	case d < time.Second:
		return nil, fmt.Errorf("interval %v is shorter than one second; set a cron spec or an interval of at least 1s", d)
	}
	return every(d), nil
}

// due returns the tick to run now for an entry whose last handled tick is
// last, if any, and the tick to record as handled. Ticks more than grace
// before now are missed: with MissedSkip they are dropped, with
// MissedCatchUp the latest of them runs once.
func due(t timing, last, now time.Time, grace time.Duration, policy MissedPolicy) (run, handled time.Time) {
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
	if now.Sub(latest) <= grace || policy == MissedCatchUp {
		return latest, latest
	}
	return time.Time{}, latest
}

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

// tickID returns the deterministic ID of the task of entry id for tenant
// at tick: every scheduler computes the same one, so that a tick enqueued
// twice (after a failover) is a duplicate of itself.
func tickID(id, tenant string, tick time.Time) TaskID {
	h := sha256.New()
	h.Write([]byte(id))
	h.Write([]byte{0})
	h.Write([]byte(tenant))
	h.Write([]byte{0})
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(tick.UnixNano())))
	return TaskID("S" + idEncoding.EncodeToString(h.Sum(nil)[:16]))
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// offset returns the stable offset in [0, spread) of tenant's task of
// entry id.
func offset(id, tenant string, spread time.Duration) time.Duration {
	if spread <= 0 {
		return 0
	}
	sum := sha256.Sum256([]byte(id + "\x00" + tenant))
	return time.Duration(binary.BigEndian.Uint64(sum[:8]) % uint64(spread))
}
