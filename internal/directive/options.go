package directive

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tenantgen/tenantgen/internal/cronspec"
	"github.com/tenantgen/tenantgen/internal/names"
)

// MaxRetries is the largest value accepted by the retries option.
const MaxRetries = 1000

// MaxTenantConcurrency is the largest value accepted by the
// tenant_concurrency option. A cap above it is no cap a tenant would notice,
// and most likely a typo.
const MaxTenantConcurrency = 10000

// Task holds the checked options of one //tenant:task directive. Fields are
// zero when their option is absent.
type Task struct {
	Cache      time.Duration // tenant cache TTL; see CacheSet
	CacheSet   bool          // cache= was given (cache=0 disables the cache)
	Cron       string        // cron spec on which the scheduler enqueues the task
	DBs        []string      // database aliases, in the order written
	Name       string        // stable task name
	Public     bool          // the task runs without a tenant
	Queue      string        // queue name
	Retries    int           // retries after a failed attempt; see RetriesSet
	RetriesSet bool          // retries= was given (retries=0 disables retries)
	Timeout    time.Duration // per-attempt timeout
	Unique     time.Duration // dedup window

	// TenantConcurrency caps how many of the task run at once for one
	// tenant (for a public task, all its runs together); 0 when absent.
	TenantConcurrency int
	// TenantRate caps how often the task starts for one tenant; the zero
	// Rate when absent.
	TenantRate Rate

	// Args holds the options as written, in order.
	Args []Arg
}

// Lookup returns the argument that set the option key, if any.
func (t *Task) Lookup(key string) (Arg, bool) {
	for _, a := range t.Args {
		if a.Key == key {
			return a, true
		}
	}
	return Arg{}, false
}

// An option is one row of the option table.
type option struct {
	name    string
	value   string // what the value is, for help; empty for a flag
	example string // a valid value, for help and hints; empty for a flag
	doc     string
	set     func(t *Task, a Arg) *Error
}

// options is the table of //tenant:task options, sorted by name.
var options = []option{
	{
		name: "cache", value: "duration", example: "30s",
		doc: "how long the worker may reuse a cached tenant record; 0 turns the cache off (default: the App's setting)",
		set: func(t *Task, a Arg) *Error {
			d, err := parseDuration(a, true)
			t.Cache, t.CacheSet = d, err == nil
			return err
		},
	},
	{
		name: "cron", value: "cron spec", example: `"*/5 * * * *"`,
		doc: "the App's scheduler enqueues the task on this schedule, for every ready tenant (once, in the shared schema, for a public task); five fields or a descriptor such as @hourly, in UTC; only for a task without arguments",
		set: func(t *Task, a Arg) *Error {
			if _, err := cronspec.Parse(a.Value); err != nil {
				return &Error{Offset: a.ValueOffset, Msg: err.Error()}
			}
			t.Cron = a.Value
			return nil
		},
	},
	{
		name: "dbs", value: "list of database aliases", example: "default,replica",
		doc: "databases switched to the tenant's schema while the task runs (default: the App's setting)",
		set: func(t *Task, a Arg) *Error {
			var err *Error
			t.DBs, err = parseList(a, names.CheckDB)
			return err
		},
	},
	{
		name: "name", value: "task name", example: "billing.send_invoice",
		doc: "stable name stored with queued tasks (default: <import path>.<Func>); set it before renaming or moving the function",
		set: func(t *Task, a Arg) *Error {
			if err := names.CheckTask(a.Value); err != nil {
				return &Error{Offset: a.ValueOffset, Msg: err.Error()}
			}
			t.Name = a.Value
			return nil
		},
	},
	{
		name: "public",
		doc:  "the task runs without a tenant, in the shared schema",
		set: func(t *Task, a Arg) *Error {
			t.Public = true
			return nil
		},
	},
	{
		name: "queue", value: "queue name", example: "billing",
		doc: "queue the task is enqueued on (default: the App's default queue)",
		set: func(t *Task, a Arg) *Error {
			if err := names.CheckQueue(a.Value); err != nil {
				return &Error{Offset: a.ValueOffset, Msg: err.Error()}
			}
			t.Queue = a.Value
			return nil
		},
	},
	{
		name: "retries", value: "count", example: "5",
		doc: fmt.Sprintf("retries after a failed attempt, 0 to %d; 0 sends a failure straight to the dead letter set (default: the App's setting)", MaxRetries),
		set: func(t *Task, a Arg) *Error {
			n, err := strconv.Atoi(a.Value)
			if err != nil || n < 0 || n > MaxRetries {
				return &Error{Offset: a.ValueOffset, Msg: fmt.Sprintf("invalid retry count %q: want a whole number from 0 to %d", a.Value, MaxRetries)}
			}
			t.Retries, t.RetriesSet = n, true
			return nil
		},
	},
	{
		name: "tenant_concurrency", value: "count", example: "2",
		doc: fmt.Sprintf("at most this many of the task run at once for one tenant, across every worker process, 1 to %d; on a public task it caps all its runs together (default: the App's setting)", MaxTenantConcurrency),
		set: func(t *Task, a Arg) *Error {
			n, err := strconv.Atoi(a.Value)
			if err != nil || n < 1 || n > MaxTenantConcurrency {
				msg := fmt.Sprintf("invalid tenant concurrency %q: want a whole number from 1 to %d", a.Value, MaxTenantConcurrency)
				if err == nil && n == 0 {
					msg += "; leave the option out to use the App's setting"
				}
				return &Error{Offset: a.ValueOffset, Msg: msg}
			}
			t.TenantConcurrency = n
			return nil
		},
	},
	{
		name: "tenant_rate", value: "starts/window", example: "100/s",
		doc: fmt.Sprintf("at most <starts> starts of the task in any <window> for one tenant, across every worker process; starts 1 to %d, the window a unit alone (ms, s, m, h) or a Go duration of at least %v, as in 10/1m or 5/250ms; on a public task it caps all its runs together (default: the App's setting)", MaxRateStarts, MinRateWindow),
		set: func(t *Task, a Arg) *Error {
			var err *Error
			t.TenantRate, err = parseRate(a)
			return err
		},
	},
	{
		name: "timeout", value: "duration", example: "2m",
		doc: "bound on each attempt; the task's ctx is cancelled when it expires (default: the App's setting)",
		set: func(t *Task, a Arg) *Error {
			var err *Error
			t.Timeout, err = parseDuration(a, false)
			return err
		},
	},
	{
		name: "unique", value: "duration", example: "1h",
		doc: "enqueueing the same task for the same tenant with the same arguments again within this window is a no-op",
		set: func(t *Task, a Arg) *Error {
			var err *Error
			t.Unique, err = parseDuration(a, false)
			return err
		},
	},
}

func lookupOption(name string) *option {
	i, ok := slices.BinarySearchFunc(options, name, func(o option, name string) int {
		return strings.Compare(o.name, name)
	})
	if !ok {
		return nil
	}
	return &options[i]
}

// ValidOptions returns the option names, sorted and comma-separated, for
// error messages.
func ValidOptions() string {
	list := make([]string, len(options))
	for i, o := range options {
		list[i] = o.name
	}
	return strings.Join(list, ", ")
}

// OptionHelp is the description of one option, for help texts and docs.
type OptionHelp struct {
	Name    string // option name
	Syntax  string // how to write it, e.g. "cache=<duration>" or "public"
	Example string // a complete example, e.g. "cache=30s"
	Doc     string // what it does
}

// Help describes every option, sorted by name.
func Help() []OptionHelp {
	list := make([]OptionHelp, len(options))
	for i, o := range options {
		h := OptionHelp{Name: o.name, Syntax: o.name, Example: o.name, Doc: o.doc}
		if o.value != "" {
			h.Syntax = o.name + "=<" + o.value + ">"
			h.Example = o.name + "=" + o.example
		}
		list[i] = h
	}
	return list
}

func (o *option) isFlag() bool { return o.value == "" }

// parseDuration parses a duration option; zero is allowed only when
// allowZero is set, and negative values never are.
func parseDuration(a Arg, allowZero bool) (time.Duration, *Error) {
	d, why := durationValue(a.Value, allowZero, "use Go duration syntax, e.g. 30s, 2m or 1h30m")
	if why != "" {
		return 0, &Error{Offset: a.ValueOffset, Msg: fmt.Sprintf("invalid duration %q for option %q: %s", a.Value, a.Key, why)}
	}
	return d, nil
}

// durationValue parses s as a duration. On failure it returns why s is not
// a valid one, ending with syntaxHint when s is not a duration at all.
func durationValue(s string, allowZero bool, syntaxHint string) (time.Duration, string) {
	if isNumber(s) && (s != "0" || !allowZero) {
		f, _ := strconv.ParseFloat(s, 64)
		switch {
		case f < 0:
			return 0, "must not be negative"
		case f == 0 && !allowZero:
			return 0, "must be positive"
		}
		return 0, fmt.Sprintf("missing unit, e.g. %ss", s)
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil && durationSyntax.MatchString(s):
		// The syntax is right, so the value overflowed.
		return 0, "too large; use at most " + maxDuration
	case err != nil:
		return 0, syntaxHint
	case d < 0:
		return 0, "must not be negative"
	case d == 0 && !allowZero:
		return 0, "must be positive"
	case d == math.MaxInt64:
		return 0, "too large; use at most " + maxDuration
	}
	return d, ""
}

// maxDuration is about the largest duration time.Duration holds.
const maxDuration = "2562047h"

// durationSyntax matches what time.ParseDuration accepts, whatever the size.
var durationSyntax = regexp.MustCompile(`^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|\x{b5}s|\x{3bc}s|ms|s|m|h))+$`)

// isNumber reports whether s is a decimal number with no unit, such as 30,
// -5 or 1.5.
func isNumber(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	digits := func(s string) bool { return strings.Trim(s, "0123456789") == "" }
	return whole+frac != "" && digits(whole) && digits(frac)
}

// parseList splits a comma-separated list and checks each item.
func parseList(a Arg, check func(string) error) ([]string, *Error) {
	var list []string
	off := a.ValueOffset
	for item := range strings.SplitSeq(a.Value, ",") {
		switch {
		case item == "":
			return nil, &Error{Offset: off, Msg: fmt.Sprintf("empty item in list %q for option %q; separate items with single commas and no spaces", a.Value, a.Key)}
		case slices.Contains(list, item):
			return nil, &Error{Offset: off, Msg: fmt.Sprintf("%q is listed twice in option %q", item, a.Key)}
		}
		if err := check(item); err != nil {
			return nil, &Error{Offset: off, Msg: err.Error()}
		}
		list = append(list, item)
		off += len(item) + 1
	}
	return list, nil
}
