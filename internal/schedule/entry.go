package schedule

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tenantgen/tenantgen/internal/names"
)

// Targets of an entry in its ID, besides a tenant or a list of tenants;
// runtime.AllTenants and runtime.PublicTarget are these, for users.
const (
	AllTenants   = "__all__" // every tenant: name@__all__
	PublicTarget = "public"  // a public task, in the shared schema: name@public
)

// Keys names the Redis keys of the schedulers of prefix: the lease and its
// epoch counter (for internal/leader), and the state hash of each entry's
// last handled tick. They share the hash tag {sched}, so that the lease
// and the state it fences are in one slot of a Redis Cluster.
func Keys(prefix string) (lease, epoch, state string) {
	base := prefix + ":{sched}:"
	return base + "leader", base + "epoch", base + "state"
}

// Decl is a periodic task as declared in Go or by a cron spec. Its fields
// are those of runtime.Entry, in the same order, so that one converts to
// the other; runtime.Entry documents them.
type Decl struct {
	Name    string
	Task    string
	Args    json.RawMessage
	Cron    string
	Every   time.Duration
	Tenants []string
	Spread  time.Duration
}

// Lookup reports whether task is registered and whether it is public (runs
// once, in the shared schema, rather than for tenants).
type Lookup func(task string) (public, ok bool)

// Entry is a periodic task ready to run, from Go, a cron spec, or a row of
// a periodic tasks table. It is read-only once built.
type Entry struct {
	id      string // name@target, the key of its state
	name    string
	task    string
	public  bool
	args    []byte
	timing  timing
	tenants []string // explicit targets; nil: all tenants (unless public)
	spread  time.Duration

	// Rows of a periodic tasks table only.
	schema  string    // the schema holding the row
	clocked time.Time // one-off: run once at this time, then disable
	lastRun time.Time // the row's last_run_at
}

// ID returns the entry's ID: name@tenant, name@__all__, name@public, or
// name@tenant,tenant for a list.
func (e *Entry) ID() string { return e.id }

// Task returns the name of the registered task the entry enqueues.
func (e *Entry) Task() string { return e.task }

// Args returns the task's JSON-encoded arguments.
func (e *Entry) Args() []byte { return e.args }

// Build checks decls against the registered tasks and returns the entries
// of those without problems, in order, and the problems of the others: a
// declaration that is invalid, a second one with the ID of another, or
// one that runs for tenants while noStore says why tenants cannot be
// listed (nil if they can). defaultSpread is the spread of declarations
// that set none.
func Build(decls []Decl, lookup Lookup, defaultSpread time.Duration, noStore error) ([]*Entry, []error) {
	var entries []*Entry
	var errs []error
	seen := map[string]bool{}
	for _, d := range decls {
		en, err := build(d, lookup, defaultSpread)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[en.id] {
			errs = append(errs, fmt.Errorf("entry %q is declared twice", en.id))
			continue
		}
		if !en.public && noStore != nil {
			errs = append(errs, fmt.Errorf("entry %q runs for tenants, but %w", en.id, noStore))
			continue
		}
		seen[en.id] = true
		entries = append(entries, en)
	}
	return entries, errs
}

// build checks d and returns it ready to run.
func build(d Decl, lookup Lookup, defaultSpread time.Duration) (*Entry, error) {
	if d.Task == "" {
		return nil, fmt.Errorf("entry %q names no task", d.Name)
	}
	name := d.Name
	if name == "" {
		name = d.Task
	}
	public, ok := lookup(d.Task)
	if !ok {
		return nil, fmt.Errorf("entry %q: task %q is not registered", name, d.Task)
	}
	if strings.Contains(name, "@") {
		return nil, fmt.Errorf("entry name %q must not contain @: the scheduler adds the target", name)
	}
	en := &Entry{name: name, task: d.Task, public: public, args: d.Args}
	if len(en.args) == 0 {
		en.args = []byte("[]")
	}
	if !json.Valid(en.args) {
		return nil, fmt.Errorf("entry %q: arguments are not valid JSON", name)
	}
	var err error
	if en.timing, err = newTiming(d.Cron, d.Every); err != nil {
		return nil, fmt.Errorf("entry %q: %w", name, err)
	}
	switch {
	case en.public && len(d.Tenants) > 0:
		return nil, fmt.Errorf("entry %q: task %q is public and runs without a tenant; remove Tenants", name, d.Task)
	case en.public:
		en.id = name + "@" + PublicTarget
	case len(d.Tenants) == 0:
		en.id = name + "@" + AllTenants
	case len(d.Tenants) == 1:
		en.id = name + "@" + d.Tenants[0]
	default:
		en.id = name + "@" + strings.Join(d.Tenants, ",")
	}
	for _, id := range d.Tenants {
		if err := names.CheckTenant(id); err != nil {
			return nil, fmt.Errorf("entry %q: %w", name, err)
		}
	}
	en.tenants = append([]string(nil), d.Tenants...)
	switch {
	case d.Spread < 0:
		en.spread = 0
	case d.Spread == 0:
		en.spread = defaultSpread
	default:
		en.spread = d.Spread
	}
	return en, nil
}
