package directive

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// validOptions is the list that error messages end with.
const validOptions = "cache, cron, dbs, name, public, queue, retries, tenant_concurrency, tenant_rate, timeout, unique"

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want *Task
	}{
		{
			name: "no options",
			text: "//tenant:task",
			want: &Task{},
		},
		{
			name: "trailing space only",
			text: "//tenant:task  \t ",
			want: &Task{},
		},
		{
			name: "cache",
			text: "//tenant:task cache=30s",
			want: &Task{
				Cache: 30 * time.Second, CacheSet: true,
				Args: []Arg{{Key: "cache", Value: "30s", HasValue: true, KeyOffset: 14, ValueOffset: 20}},
			},
		},
		{
			name: "cron",
			text: `//tenant:task cron="*/5 * * * *"`,
			want: &Task{
				Cron: "*/5 * * * *",
				Args: []Arg{{Key: "cron", Value: "*/5 * * * *", HasValue: true, KeyOffset: 14, ValueOffset: 20}},
			},
		},
		{
			name: "cron descriptor",
			text: "//tenant:task cron=@hourly public",
			want: &Task{
				Cron: "@hourly", Public: true,
				Args: []Arg{{Key: "cron", Value: "@hourly", HasValue: true, KeyOffset: 14, ValueOffset: 19}, {Key: "public", KeyOffset: 27}},
			},
		},
		{
			name: "cache=0 turns the cache off",
			text: "//tenant:task cache=0",
			want: &Task{
				Cache: 0, CacheSet: true,
				Args: []Arg{{Key: "cache", Value: "0", HasValue: true, KeyOffset: 14, ValueOffset: 20}},
			},
		},
		{
			name: "cache=0s turns the cache off",
			text: "//tenant:task cache=0s",
			want: &Task{
				Cache: 0, CacheSet: true,
				Args: []Arg{{Key: "cache", Value: "0s", HasValue: true, KeyOffset: 14, ValueOffset: 20}},
			},
		},
		{
			name: "dbs single",
			text: "//tenant:task dbs=default",
			want: &Task{
				DBs:  []string{"default"},
				Args: []Arg{{Key: "dbs", Value: "default", HasValue: true, KeyOffset: 14, ValueOffset: 18}},
			},
		},
		{
			name: "dbs keeps written order",
			text: "//tenant:task dbs=replica,default,analytics_2",
			want: &Task{
				DBs:  []string{"replica", "default", "analytics_2"},
				Args: []Arg{{Key: "dbs", Value: "replica,default,analytics_2", HasValue: true, KeyOffset: 14, ValueOffset: 18}},
			},
		},
		{
			name: "name",
			text: "//tenant:task name=billing.send_invoice",
			want: &Task{
				Name: "billing.send_invoice",
				Args: []Arg{{Key: "name", Value: "billing.send_invoice", HasValue: true, KeyOffset: 14, ValueOffset: 19}},
			},
		},
		{
			name: "name with every allowed character",
			text: "//tenant:task name=Billing/Send-Invoice~v2+x_y.z",
			want: &Task{
				Name: "Billing/Send-Invoice~v2+x_y.z",
				Args: []Arg{{Key: "name", Value: "Billing/Send-Invoice~v2+x_y.z", HasValue: true, KeyOffset: 14, ValueOffset: 19}},
			},
		},
		{
			name: "public flag",
			text: "//tenant:task public",
			want: &Task{
				Public: true,
				Args:   []Arg{{Key: "public", KeyOffset: 14}},
			},
		},
		{
			name: "queue",
			text: "//tenant:task queue=billing-eu.2_x",
			want: &Task{
				Queue: "billing-eu.2_x",
				Args:  []Arg{{Key: "queue", Value: "billing-eu.2_x", HasValue: true, KeyOffset: 14, ValueOffset: 20}},
			},
		},
		{
			name: "retries",
			text: "//tenant:task retries=5",
			want: &Task{
				Retries: 5, RetriesSet: true,
				Args: []Arg{{Key: "retries", Value: "5", HasValue: true, KeyOffset: 14, ValueOffset: 22}},
			},
		},
		{
			name: "retries=0 turns retries off",
			text: "//tenant:task retries=0",
			want: &Task{
				Retries: 0, RetriesSet: true,
				Args: []Arg{{Key: "retries", Value: "0", HasValue: true, KeyOffset: 14, ValueOffset: 22}},
			},
		},
		{
			name: "retries at the maximum",
			text: "//tenant:task retries=1000",
			want: &Task{
				Retries: MaxRetries, RetriesSet: true,
				Args: []Arg{{Key: "retries", Value: "1000", HasValue: true, KeyOffset: 14, ValueOffset: 22}},
			},
		},
		{
			name: "timeout hours and minutes",
			text: "//tenant:task timeout=1h30m",
			want: &Task{
				Timeout: 90 * time.Minute,
				Args:    []Arg{{Key: "timeout", Value: "1h30m", HasValue: true, KeyOffset: 14, ValueOffset: 22}},
			},
		},
		{
			name: "timeout fractional seconds",
			text: "//tenant:task timeout=1.5s",
			want: &Task{
				Timeout: 1500 * time.Millisecond,
				Args:    []Arg{{Key: "timeout", Value: "1.5s", HasValue: true, KeyOffset: 14, ValueOffset: 22}},
			},
		},
		{
			name: "unique milliseconds",
			text: "//tenant:task unique=500ms",
			want: &Task{
				Unique: 500 * time.Millisecond,
				Args:   []Arg{{Key: "unique", Value: "500ms", HasValue: true, KeyOffset: 14, ValueOffset: 21}},
			},
		},
		{
			name: "unique at the largest whole hour",
			text: "//tenant:task unique=2562047h",
			want: &Task{
				Unique: 2562047 * time.Hour,
				Args:   []Arg{{Key: "unique", Value: "2562047h", HasValue: true, KeyOffset: 14, ValueOffset: 21}},
			},
		},
		{
			name: "every value option",
			text: "//tenant:task cache=30s dbs=default,replica name=billing.send queue=billing retries=5 timeout=2m unique=1h",
			want: &Task{
				Cache: 30 * time.Second, CacheSet: true,
				DBs:     []string{"default", "replica"},
				Name:    "billing.send",
				Queue:   "billing",
				Retries: 5, RetriesSet: true,
				Timeout: 2 * time.Minute,
				Unique:  time.Hour,
				Args: []Arg{
					{Key: "cache", Value: "30s", HasValue: true, KeyOffset: 14, ValueOffset: 20},
					{Key: "dbs", Value: "default,replica", HasValue: true, KeyOffset: 24, ValueOffset: 28},
					{Key: "name", Value: "billing.send", HasValue: true, KeyOffset: 44, ValueOffset: 49},
					{Key: "queue", Value: "billing", HasValue: true, KeyOffset: 62, ValueOffset: 68},
					{Key: "retries", Value: "5", HasValue: true, KeyOffset: 76, ValueOffset: 84},
					{Key: "timeout", Value: "2m", HasValue: true, KeyOffset: 86, ValueOffset: 94},
					{Key: "unique", Value: "1h", HasValue: true, KeyOffset: 97, ValueOffset: 104},
				},
			},
		},
		{
			name: "public with other options, args in written order",
			text: "//tenant:task retries=3 public queue=shared dbs=default",
			want: &Task{
				Public:  true,
				Queue:   "shared",
				DBs:     []string{"default"},
				Retries: 3, RetriesSet: true,
				Args: []Arg{
					{Key: "retries", Value: "3", HasValue: true, KeyOffset: 14, ValueOffset: 22},
					{Key: "public", KeyOffset: 24},
					{Key: "queue", Value: "shared", HasValue: true, KeyOffset: 31, ValueOffset: 37},
					{Key: "dbs", Value: "default", HasValue: true, KeyOffset: 44, ValueOffset: 48},
				},
			},
		},
		{
			name: "tabs and runs of spaces between options",
			text: "//tenant:task\tcache=1s\t\tqueue=q  \t retries=2",
			want: &Task{
				Cache: time.Second, CacheSet: true,
				Queue:   "q",
				Retries: 2, RetriesSet: true,
				Args: []Arg{
					{Key: "cache", Value: "1s", HasValue: true, KeyOffset: 14, ValueOffset: 20},
					{Key: "queue", Value: "q", HasValue: true, KeyOffset: 24, ValueOffset: 30},
					{Key: "retries", Value: "2", HasValue: true, KeyOffset: 35, ValueOffset: 43},
				},
			},
		},
		{
			name: "trailing spaces and tabs",
			text: "//tenant:task public   \t",
			want: &Task{
				Public: true,
				Args:   []Arg{{Key: "public", KeyOffset: 14}},
			},
		},
		{
			name: "double-quoted value",
			text: `//tenant:task queue="billing" retries=1`,
			want: &Task{
				Queue:   "billing",
				Retries: 1, RetriesSet: true,
				Args: []Arg{
					{Key: "queue", Value: "billing", HasValue: true, KeyOffset: 14, ValueOffset: 21},
					{Key: "retries", Value: "1", HasValue: true, KeyOffset: 30, ValueOffset: 38},
				},
			},
		},
		{
			name: "double-quoted value with escapes",
			text: `//tenant:task queue="bill\x69ng"`,
			want: &Task{
				Queue: "billing",
				Args:  []Arg{{Key: "queue", Value: "billing", HasValue: true, KeyOffset: 14, ValueOffset: 21}},
			},
		},
		{
			name: "raw-quoted value",
			text: "//tenant:task name=`a.b` cache=1m",
			want: &Task{
				Name:  "a.b",
				Cache: time.Minute, CacheSet: true,
				Args: []Arg{
					{Key: "name", Value: "a.b", HasValue: true, KeyOffset: 14, ValueOffset: 20},
					{Key: "cache", Value: "1m", HasValue: true, KeyOffset: 25, ValueOffset: 31},
				},
			},
		},
		{
			name: "quoted list",
			text: `//tenant:task dbs="default,replica"`,
			want: &Task{
				DBs:  []string{"default", "replica"},
				Args: []Arg{{Key: "dbs", Value: "default,replica", HasValue: true, KeyOffset: 14, ValueOffset: 19}},
			},
		},
		{
			name: "quoted value followed by a tab",
			text: "//tenant:task queue=\"q\"\tpublic",
			want: &Task{
				Queue:  "q",
				Public: true,
				Args: []Arg{
					{Key: "queue", Value: "q", HasValue: true, KeyOffset: 14, ValueOffset: 21},
					{Key: "public", KeyOffset: 24},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.text)
			if err != nil {
				t.Fatalf("Parse(%q) returned error %v, want success", tt.text, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

// wantError is an expected error: the exact message, or if Msg is empty, a
// substring of it.
type wantError struct {
	Offset  int
	Msg     string
	Has     string
	Related *wantError
}

// asWant converts got into the form of want, so that cmp.Diff shows a useful
// difference: where want gives a substring that the message contains, the
// message is replaced by that substring.
func asWant(got *Error, want *wantError) *wantError {
	if got == nil {
		return nil
	}
	w := &wantError{Offset: got.Offset, Msg: got.Msg}
	if want != nil && want.Msg == "" && want.Has != "" && strings.Contains(got.Msg, want.Has) {
		w.Msg, w.Has = "", want.Has
	}
	var wantRelated *wantError
	if want != nil {
		wantRelated = want.Related
	}
	w.Related = asWant(got.Related, wantRelated)
	return w
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want []wantError
	}{
		// Directive names.
		{
			name: "not a directive",
			text: "// tenant:task",
			want: []wantError{{Offset: 0, Msg: `not a directive: want "//tenant:task"`}},
		},
		{
			name: "misspelt directive",
			text: "//tenant:taks cache=1s",
			want: []wantError{{Offset: 9, Msg: `unknown directive "//tenant:taks" (did you mean "//tenant:task"?)`}},
		},
		{
			name: "plural directive",
			text: "//tenant:tasks",
			want: []wantError{{Offset: 9, Has: `unknown directive "//tenant:tasks" (did you mean "//tenant:task"?)`}},
		},
		{
			name: "uppercase directive",
			text: "//tenant:TASK cache=1s",
			want: []wantError{{Offset: 9, Has: `unknown directive "//tenant:TASK" (did you mean "//tenant:task"?)`}},
		},
		{
			name: "unrelated directive",
			text: "//tenant:job",
			want: []wantError{{Offset: 9, Msg: `unknown directive "//tenant:job"; the only directive is //tenant:task`}},
		},
		{
			name: "missing directive name",
			text: "//tenant:",
			want: []wantError{{Offset: 9, Msg: `missing directive name after "//tenant:"; write "//tenant:task"`}},
		},
		{
			name: "space after the colon",
			text: "//tenant: task cache=1s",
			want: []wantError{{Offset: 9, Msg: `missing directive name after "//tenant:"; write "//tenant:task"`}},
		},
		{
			name: "no space before an option with a value",
			text: "//tenant:taskcache=1s",
			want: []wantError{{Offset: 13, Msg: `missing space between "//tenant:task" and its options`}},
		},
		{
			name: "no space before a flag",
			text: "//tenant:taskpublic queue=q",
			want: []wantError{{Offset: 13, Msg: `missing space between "//tenant:task" and its options`}},
		},
		{
			name: "equals sign straight after the name",
			text: "//tenant:task=1s",
			want: []wantError{{Offset: 13, Msg: `missing space between "//tenant:task" and its options`}},
		},

		// Option names.
		{
			name: "unknown option with suggestion",
			text: "//tenant:task cahce=30s",
			want: []wantError{{Offset: 14, Msg: `unknown option "cahce" in //tenant:task (did you mean "cache"?); valid options: ` + validOptions}},
		},
		{
			name: "unknown flag with suggestion",
			text: "//tenant:task queue=q publik",
			want: []wantError{{Offset: 22, Has: `unknown option "publik" in //tenant:task (did you mean "public"?)`}},
		},
		{
			name: "unknown option missing a letter",
			text: "//tenant:task db=default",
			want: []wantError{{Offset: 14, Has: `(did you mean "dbs"?)`}},
		},
		{
			name: "unknown option without suggestion",
			text: "//tenant:task color=red",
			want: []wantError{{Offset: 14, Msg: `unknown option "color" in //tenant:task; valid options: ` + validOptions}},
		},
		{
			name: "invalid cron spec",
			text: `//tenant:task cron="*/5 * * *"`,
			want: []wantError{{Offset: 20, Has: `invalid cron spec "*/5 * * *": expected exactly 5 fields`}},
		},
		{
			name: "cron @every",
			text: "//tenant:task cron=@every",
			want: []wantError{{Offset: 19, Has: "@every is not supported"}},
		},
		{
			name: "unknown flag without suggestion",
			text: "//tenant:task verbose",
			want: []wantError{{Offset: 14, Msg: `unknown option "verbose" in //tenant:task; valid options: ` + validOptions}},
		},
		{
			name: "uppercase option name",
			text: "//tenant:task Cache=1s",
			want: []wantError{{Offset: 14, Msg: `invalid option name "Cache": option names are lowercase words joined by underscores (did you mean "cache"?); valid options: ` + validOptions}},
		},
		{
			name: "option name with digits",
			text: "//tenant:task queue=q cache2=1s",
			want: []wantError{{Offset: 22, Has: `invalid option name "cache2": option names are lowercase words joined by underscores (did you mean "cache"?)`}},
		},
		{
			name: "unknown option name with underscore",
			text: "//tenant:task max_retries=1",
			want: []wantError{{Offset: 14, Msg: `unknown option "max_retries" in //tenant:task; valid options: ` + validOptions}},
		},
		{
			name: "option name with a leading underscore",
			text: "//tenant:task _rate=1/s",
			want: []wantError{{Offset: 14, Has: `invalid option name "_rate": option names are lowercase words joined by underscores (did you mean "tenant_rate"?)`}},
		},
		{
			name: "option name with a trailing underscore",
			text: "//tenant:task cache_=1s",
			want: []wantError{{Offset: 14, Has: `invalid option name "cache_": option names are lowercase words joined by underscores (did you mean "cache"?)`}},
		},
		{
			name: "option name with a double underscore",
			text: "//tenant:task tenant__rate=1/s",
			want: []wantError{{Offset: 14, Has: `invalid option name "tenant__rate": option names are lowercase words joined by underscores (did you mean "tenant_rate"?)`}},
		},
		{
			name: "option name with a dash",
			text: "//tenant:task tenant-concurrency=2",
			want: []wantError{{Offset: 14, Has: `invalid option name "tenant-concurrency": option names are lowercase words joined by underscores (did you mean "tenant_concurrency"?)`}},
		},
		{
			name: "invalid option name without suggestion",
			text: "//tenant:task Color=red",
			want: []wantError{{Offset: 14, Msg: `invalid option name "Color": option names are lowercase words joined by underscores; valid options: ` + validOptions}},
		},
		{
			name: "unknown option that is the last word of one",
			text: "//tenant:task rate=100/s",
			want: []wantError{{Offset: 14, Msg: `unknown option "rate" in //tenant:task (did you mean "tenant_rate"?); valid options: ` + validOptions}},
		},
		{
			name: "unknown option missing its underscore",
			text: "//tenant:task tenantconcurrency=2",
			want: []wantError{{Offset: 14, Has: `(did you mean "tenant_concurrency"?)`}},
		},
		{
			name: "colon instead of equals",
			text: "//tenant:task cache:30s",
			want: []wantError{{Offset: 14, Has: `invalid option name "cache:30s"`}},
		},
		{
			name: "missing option name",
			text: "//tenant:task =30s",
			want: []wantError{{Offset: 14, Msg: `missing option name before "="`}},
		},
		{
			name: "missing option name after another option",
			text: "//tenant:task cache=1s =30s",
			want: []wantError{{Offset: 23, Msg: `missing option name before "="`}},
		},
		{
			name: "duplicate option",
			text: "//tenant:task cache=1s queue=a cache=2s",
			want: []wantError{{
				Offset:  31,
				Msg:     `duplicate option "cache"`,
				Related: &wantError{Offset: 14, Msg: `first "cache" here`},
			}},
		},
		{
			name: "duplicate flag",
			text: "//tenant:task public\tpublic",
			want: []wantError{{
				Offset:  21,
				Msg:     `duplicate option "public"`,
				Related: &wantError{Offset: 14, Msg: `first "public" here`},
			}},
		},
		{
			name: "option given three times",
			text: "//tenant:task retries=1 retries=2 retries=3",
			want: []wantError{
				{Offset: 24, Msg: `duplicate option "retries"`, Related: &wantError{Offset: 14, Msg: `first "retries" here`}},
				{Offset: 34, Msg: `duplicate option "retries"`, Related: &wantError{Offset: 14, Msg: `first "retries" here`}},
			},
		},
		{
			name: "flag with value",
			text: "//tenant:task public=true",
			want: []wantError{{Offset: 14, Msg: `option "public" is a flag and takes no value; write "public" alone`}},
		},
		{
			name: "flag with empty value",
			text: "//tenant:task public=",
			want: []wantError{{Offset: 14, Msg: `option "public" is a flag and takes no value; write "public" alone`}},
		},
		{
			name: "value option without value",
			text: "//tenant:task cache",
			want: []wantError{{Offset: 14, Msg: `option "cache" needs a value, e.g. cache=30s`}},
		},
		{
			name: "list option without value",
			text: "//tenant:task queue=q dbs",
			want: []wantError{{Offset: 22, Msg: `option "dbs" needs a value, e.g. dbs=default,replica`}},
		},

		// Empty values.
		{
			name: "empty value at end of line",
			text: "//tenant:task cache=",
			want: []wantError{{Offset: 20, Msg: `empty value for option "cache", e.g. cache=30s`}},
		},
		{
			name: "empty value before another option",
			text: "//tenant:task retries= queue=q",
			want: []wantError{{Offset: 22, Msg: `empty value for option "retries", e.g. retries=5`}},
		},
		{
			name: "empty quoted value",
			text: `//tenant:task queue=""`,
			want: []wantError{{Offset: 21, Msg: `empty value for option "queue", e.g. queue=billing`}},
		},

		// Durations.
		{
			name: "bare number",
			text: "//tenant:task cache=30",
			want: []wantError{{Offset: 20, Msg: `invalid duration "30" for option "cache": missing unit, e.g. 30s`}},
		},
		{
			name: "bare fraction",
			text: "//tenant:task timeout=1.5",
			want: []wantError{{Offset: 22, Msg: `invalid duration "1.5" for option "timeout": missing unit, e.g. 1.5s`}},
		},
		{
			name: "bare zero where zero is not allowed",
			text: "//tenant:task timeout=0",
			want: []wantError{{Offset: 22, Msg: `invalid duration "0" for option "timeout": must be positive`}},
		},
		{
			name: "bare negative number",
			text: "//tenant:task cache=-5",
			want: []wantError{{Offset: 20, Msg: `invalid duration "-5" for option "cache": must not be negative`}},
		},
		{
			name: "zero timeout",
			text: "//tenant:task timeout=0s",
			want: []wantError{{Offset: 22, Msg: `invalid duration "0s" for option "timeout": must be positive`}},
		},
		{
			name: "zero unique",
			text: "//tenant:task unique=0ms",
			want: []wantError{{Offset: 21, Msg: `invalid duration "0ms" for option "unique": must be positive`}},
		},
		{
			name: "negative timeout",
			text: "//tenant:task timeout=-1s",
			want: []wantError{{Offset: 22, Msg: `invalid duration "-1s" for option "timeout": must not be negative`}},
		},
		{
			name: "negative cache",
			text: "//tenant:task cache=-1m",
			want: []wantError{{Offset: 20, Msg: `invalid duration "-1m" for option "cache": must not be negative`}},
		},
		{
			name: "duration overflows",
			text: "//tenant:task cache=2562048h",
			want: []wantError{{Offset: 20, Msg: `invalid duration "2562048h" for option "cache": too large; use at most 2562047h`}},
		},
		{
			name: "duration overflows in its digits",
			text: "//tenant:task timeout=99999999999999999999s",
			want: []wantError{{Offset: 22, Has: `too large; use at most 2562047h`}},
		},
		{
			name: "largest time.Duration",
			text: "//tenant:task unique=9223372036854775807ns",
			want: []wantError{{Offset: 21, Has: `too large`}},
		},
		{
			name: "unknown unit",
			text: "//tenant:task cache=30x",
			want: []wantError{{Offset: 20, Msg: `invalid duration "30x" for option "cache": use Go duration syntax, e.g. 30s, 2m or 1h30m`}},
		},
		{
			name: "days are not a unit",
			text: "//tenant:task unique=1d",
			want: []wantError{{Offset: 21, Has: `use Go duration syntax`}},
		},
		{
			name: "exponent",
			text: "//tenant:task cache=1e3",
			want: []wantError{{Offset: 20, Has: `invalid duration "1e3" for option "cache": use Go duration syntax`}},
		},
		{
			name: "infinity is not a number with a missing unit",
			text: "//tenant:task cache=inf",
			want: []wantError{{Offset: 20, Has: `invalid duration "inf" for option "cache": use Go duration syntax`}},
		},
		{
			name: "unit without number",
			text: "//tenant:task timeout=h",
			want: []wantError{{Offset: 22, Has: `use Go duration syntax`}},
		},
		{
			name: "trailing number after unit",
			text: "//tenant:task timeout=1h30",
			want: []wantError{{Offset: 22, Has: `use Go duration syntax`}},
		},

		// Retries.
		{
			name: "retries too large",
			text: "//tenant:task retries=1001",
			want: []wantError{{Offset: 22, Msg: `invalid retry count "1001": want a whole number from 0 to 1000`}},
		},
		{
			name: "retries negative",
			text: "//tenant:task retries=-1",
			want: []wantError{{Offset: 22, Msg: `invalid retry count "-1": want a whole number from 0 to 1000`}},
		},
		{
			name: "retries not a number",
			text: "//tenant:task retries=lots",
			want: []wantError{{Offset: 22, Msg: `invalid retry count "lots": want a whole number from 0 to 1000`}},
		},
		{
			name: "retries fractional",
			text: "//tenant:task retries=1.5",
			want: []wantError{{Offset: 22, Has: `invalid retry count "1.5"`}},
		},
		{
			name: "retries overflowing int",
			text: "//tenant:task retries=99999999999999999999999",
			want: []wantError{{Offset: 22, Has: `invalid retry count "99999999999999999999999"`}},
		},

		// Lists.
		{
			name: "empty list item",
			text: "//tenant:task dbs=a,,b",
			want: []wantError{{Offset: 20, Msg: `empty item in list "a,,b" for option "dbs"; separate items with single commas and no spaces`}},
		},
		{
			name: "leading comma",
			text: "//tenant:task dbs=,a",
			want: []wantError{{Offset: 18, Has: `empty item in list ",a" for option "dbs"`}},
		},
		{
			name: "trailing comma",
			text: "//tenant:task dbs=a,",
			want: []wantError{{Offset: 20, Has: `empty item in list "a," for option "dbs"`}},
		},
		{
			name: "space after comma",
			text: "//tenant:task dbs=a, replica",
			want: []wantError{
				{Offset: 20, Has: `empty item in list "a," for option "dbs"; separate items with single commas and no spaces`},
				{Offset: 21, Has: `unknown option "replica"`},
			},
		},
		{
			name: "duplicate list item",
			text: "//tenant:task dbs=default,replica,default",
			want: []wantError{{Offset: 34, Msg: `"default" is listed twice in option "dbs"`}},
		},
		{
			name: "uppercase database alias",
			text: "//tenant:task dbs=default,Replica",
			want: []wantError{{Offset: 26, Msg: `invalid database alias "Replica": use lowercase ASCII letters, digits and _, starting with a letter`}},
		},
		{
			name: "database alias starting with a digit",
			text: "//tenant:task dbs=1db",
			want: []wantError{{Offset: 18, Has: `invalid database alias "1db"`}},
		},
		{
			name: "database alias too long",
			text: "//tenant:task dbs=a," + strings.Repeat("x", 64),
			want: []wantError{{Offset: 20, Has: `is 64 bytes long; the limit is 63`}},
		},
		{
			name: "empty item in quoted list",
			text: `//tenant:task dbs="a,,b"`,
			want: []wantError{{Offset: 21, Has: `empty item in list "a,,b"`}},
		},
		{
			name: "bad item in raw-quoted list",
			text: "//tenant:task dbs=`default,Bad`",
			want: []wantError{{Offset: 27, Has: `invalid database alias "Bad"`}},
		},
		{
			name: "empty item in quoted list with escapes",
			// The value is "a,b,,c"; the empty item is between the
			// commas at offsets 25 and 26, after the 4-byte escape \x62.
			text: `//tenant:task dbs="a,\x62,,c"`,
			want: []wantError{{Offset: 26, Has: `empty item in list "a,b,,c"`}},
		},
		{
			name: "duplicate item in quoted list with unicode escape",
			text: `//tenant:task dbs="\u0061,b,a"`,
			want: []wantError{{Offset: 28, Msg: `"a" is listed twice in option "dbs"`}},
		},

		// Names.
		{
			name: "uppercase queue",
			text: "//tenant:task queue=Billing",
			want: []wantError{{Offset: 20, Msg: `invalid queue name "Billing": use lowercase ASCII letters, digits and _ . -, starting with a letter or digit`}},
		},
		{
			name: "queue with braces",
			text: "//tenant:task queue={a}",
			want: []wantError{{Offset: 20, Has: `invalid queue name "{a}"`}},
		},
		{
			name: "queue starting with a dash",
			text: "//tenant:task queue=-q",
			want: []wantError{{Offset: 20, Has: `invalid queue name "-q"`}},
		},
		{
			name: "queue too long",
			text: "//tenant:task queue=" + strings.Repeat("q", 65),
			want: []wantError{{Offset: 20, Has: `is 65 bytes long; the limit is 64`}},
		},
		{
			name: "task name with a space",
			text: `//tenant:task name="has space"`,
			want: []wantError{{Offset: 20, Msg: `invalid task name "has space": use ASCII letters, digits and _ . - / ~ +, starting with a letter, digit or _`}},
		},
		{
			name: "task name starting with a dot",
			text: "//tenant:task name=.hidden",
			want: []wantError{{Offset: 19, Has: `invalid task name ".hidden"`}},
		},

		// Combinations.
		{
			name: "public with cache",
			text: "//tenant:task public cache=1m",
			want: []wantError{{Offset: 21, Msg: `option "cache" has no effect on a public task, which runs without a tenant; remove it`}},
		},
		{
			name: "cache=0 with public",
			text: "//tenant:task cache=0 public",
			want: []wantError{{Offset: 14, Has: `option "cache" has no effect on a public task`}},
		},

		// Quoting.
		{
			name: "unterminated quote",
			text: `//tenant:task queue="billing`,
			want: []wantError{{Offset: 20, Msg: `unterminated quoted value for option "queue": add the closing quote`}},
		},
		{
			name: "unterminated quote ending in an escaped quote",
			text: `//tenant:task queue="billing\"`,
			want: []wantError{{Offset: 20, Msg: `unterminated quoted value for option "queue": add the closing quote`}},
		},
		{
			name: "unterminated backquote",
			text: "//tenant:task cache=1s name=`abc",
			want: []wantError{{Offset: 28, Msg: `unterminated quoted value for option "name": add the closing backquote`}},
		},
		{
			name: "quote in the middle of a value",
			text: `//tenant:task queue=bill"ing"`,
			want: []wantError{{Offset: 24, Msg: `unexpected quote in the value of option "queue"; quote the whole value, e.g. queue="a b"`}},
		},
		{
			name: "backquote at the end of a value",
			text: "//tenant:task name=abc`",
			want: []wantError{{Offset: 22, Has: `unexpected quote in the value of option "name"`}},
		},
		{
			name: "missing space after quoted value",
			text: `//tenant:task queue="a"cache=1s`,
			want: []wantError{{Offset: 23, Msg: `missing space after the quoted value of option "queue"`}},
		},
		{
			name: "invalid escape in quoted value",
			text: `//tenant:task queue="a\qb"`,
			want: []wantError{{Offset: 20, Msg: `invalid quoted value "a\qb" for option "queue"`}},
		},

		// Several errors.
		{
			name: "independent errors in offset order",
			text: "//tenant:task cahce=30s dbs=default,,replica retries=lots",
			want: []wantError{
				{Offset: 14, Has: `unknown option "cahce"`},
				{Offset: 36, Has: `empty item in list "default,,replica"`},
				{Offset: 53, Has: `invalid retry count "lots"`},
			},
		},
		{
			name: "value, zero and flag errors",
			text: "//tenant:task cache=30 timeout=0s public=true",
			want: []wantError{
				{Offset: 20, Has: `missing unit`},
				{Offset: 31, Has: `must be positive`},
				{Offset: 34, Has: `is a flag`},
			},
		},
		{
			name: "public with cache sorted before a later error",
			text: "//tenant:task cache=1s public retries=x",
			want: []wantError{
				{Offset: 14, Has: `option "cache" has no effect on a public task`},
				{Offset: 38, Has: `invalid retry count "x"`},
			},
		},
		{
			name: "byte offsets after multi-byte characters",
			text: "//tenant:task queue=ünïcode cache=30",
			want: []wantError{
				{Offset: 20, Has: `invalid queue name "ünïcode"`},
				{Offset: 36, Has: `missing unit`},
			},
		},
		{
			name: "offsets after tabs",
			text: "//tenant:task\tqueue=a\t\tcache=30\tdbs=a,,b",
			want: []wantError{
				{Offset: 29, Has: `missing unit`},
				{Offset: 38, Has: `empty item`},
			},
		},
		{
			name: "a syntax error stops at the first malformed option",
			text: "//tenant:task cahce=1s Bad=2 retries=x",
			want: []wantError{{Offset: 23, Has: `invalid option name "Bad"`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, tt.text, tt.want)
		})
	}
}

// checkErrors checks that Parse(text) fails with the errors want, in order.
func checkErrors(t *testing.T, text string, want []wantError) {
	t.Helper()
	task, err := Parse(text)
	if err == nil {
		t.Fatalf("Parse(%q) = %+v, nil, want errors", text, task)
	}
	if task != nil {
		t.Errorf("Parse(%q) returned task %+v with error, want nil", text, task)
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Parse(%q) error is %T, want ErrorList", text, err)
	}
	var got []wantError
	for i, e := range list {
		var w *wantError
		if i < len(want) {
			w = &want[i]
		}
		got = append(got, *asWant(e, w))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse(%q) errors mismatch (-want +got):\n%s", text, diff)
	}
	for _, e := range list {
		if e.Offset < 0 || e.Offset > len(text) {
			t.Errorf("Parse(%q): offset %d of %q is outside the text", text, e.Offset, e.Msg)
		}
	}
}

func TestTaskLookup(t *testing.T) {
	t.Parallel()
	const text = "//tenant:task public queue=q"
	task, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse(%q) returned error %v", text, err)
	}
	tests := []struct {
		key    string
		want   Arg
		wantOK bool
	}{
		{key: "public", want: Arg{Key: "public", KeyOffset: 14}, wantOK: true},
		{key: "queue", want: Arg{Key: "queue", Value: "q", HasValue: true, KeyOffset: 21, ValueOffset: 27}, wantOK: true},
		{key: "cache", want: Arg{}, wantOK: false},
	}
	for _, tt := range tests {
		got, ok := task.Lookup(tt.key)
		if ok != tt.wantOK {
			t.Errorf("Lookup(%q) ok = %v, want %v", tt.key, ok, tt.wantOK)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Lookup(%q) mismatch (-want +got):\n%s", tt.key, diff)
		}
	}
}

func TestErrorStrings(t *testing.T) {
	t.Parallel()
	e1 := &Error{Offset: 14, Msg: "first"}
	e2 := &Error{Offset: 20, Msg: "second"}
	e3 := &Error{Offset: 30, Msg: "third"}
	tests := []struct {
		err  error
		want string
	}{
		{e1, "14: first"},
		{ErrorList{}, "no errors"},
		{ErrorList{e1}, "14: first"},
		{ErrorList{e1, e2}, "14: first (and 1 more error)"},
		{ErrorList{e1, e2, e3}, "14: first (and 2 more errors)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%#v.Error() = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text    string
		want    Kind
		wantMsg string // for NearMiss
	}{
		// Not ours.
		{text: "", want: None},
		{text: "//", want: None},
		{text: "// ordinary comment", want: None},
		{text: "// tenant: the owner of the row", want: None},
		{text: "//tenant: the owner of the row", want: Directive}, // has the prefix; Parse reports it
		{text: "// tenants are isolated by schema", want: None},
		{text: "// Tenant: see the tenants table", want: None},
		{text: "//go:generate tenantgen", want: None},
		{text: "//nolint:tenant", want: None},
		{text: "/* tenant:task */", want: None},
		{text: "/*tenant:task*/", want: None},
		{text: "// tenant task", want: None},
		{text: "//tenant", want: None},
		{text: "// tenant:", want: None},
		{text: "// tenant:tasking the workers", want: None},

		// Ours: Parse checks the rest.
		{text: "//tenant:task", want: Directive},
		{text: "//tenant:task cache=1s", want: Directive},
		{text: "//tenant:taks", want: Directive},
		{text: "//tenant:taskcache=1", want: Directive},
		{text: "//tenant:", want: Directive},

		// Near misses.
		{
			text:    "// tenant:task",
			want:    NearMiss,
			wantMsg: `"// tenant:task" is not a directive; write "//tenant:task", with no space after "//"`,
		},
		{
			text:    "//  tenant:task cache=1s",
			want:    NearMiss,
			wantMsg: `"//  tenant:task" is not a directive; write "//tenant:task", with no space after "//"`,
		},
		{
			text:    "//\ttenant:task\tcache=1s",
			want:    NearMiss,
			wantMsg: `"//\ttenant:task" is not a directive; write "//tenant:task", with no space after "//"`,
		},
		{
			text:    "//Tenant:task",
			want:    NearMiss,
			wantMsg: `"//Tenant:task" is not a directive; write "//tenant:task"; directives are lowercase`,
		},
		{
			text:    "//TENANT:TASK public",
			want:    NearMiss,
			wantMsg: `"//TENANT:TASK" is not a directive; write "//tenant:task"; directives are lowercase`,
		},
		{
			text:    "// tenant:taks",
			want:    NearMiss,
			wantMsg: `"// tenant:taks" is not a directive; write "//tenant:task", with no space after "//"`,
		},
		{
			text:    "//Tenant:tsk",
			want:    NearMiss,
			wantMsg: `"//Tenant:tsk" is not a directive; write "//tenant:task"; directives are lowercase`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			got, err := Match(tt.text)
			if got != tt.want {
				t.Errorf("Match(%q) = %v, want %v", tt.text, got, tt.want)
			}
			switch {
			case tt.want == NearMiss && err == nil:
				t.Errorf("Match(%q) error = nil, want %q", tt.text, tt.wantMsg)
			case tt.want == NearMiss:
				if diff := cmp.Diff(&Error{Offset: 0, Msg: tt.wantMsg}, err); diff != "" {
					t.Errorf("Match(%q) error mismatch (-want +got):\n%s", tt.text, diff)
				}
			case err != nil:
				t.Errorf("Match(%q) error = %v, want nil", tt.text, err)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	help := Help()
	if len(help) == 0 {
		t.Fatal("Help() is empty")
	}
	var names []string
	for _, h := range help {
		names = append(names, h.Name)
		if h.Doc == "" {
			t.Errorf("option %q has an empty Doc", h.Name)
		}
		if !optionName.MatchString(h.Name) {
			t.Errorf("option name %q is not lowercase words joined by underscores", h.Name)
		}
		if !strings.HasPrefix(h.Syntax, h.Name) {
			t.Errorf("option %q: Syntax %q does not start with the name", h.Name, h.Syntax)
		}
		if !strings.HasPrefix(h.Example, h.Name) {
			t.Errorf("option %q: Example %q does not start with the name", h.Name, h.Example)
		}
		isFlag := h.Syntax == h.Name
		switch {
		case isFlag && h.Example != h.Name:
			t.Errorf("flag %q: Example = %q, want %q", h.Name, h.Example, h.Name)
		case !isFlag && !strings.HasPrefix(h.Syntax, h.Name+"=<"):
			t.Errorf("option %q: Syntax = %q, want %q", h.Name, h.Syntax, h.Name+"=<...>")
		case !isFlag && !strings.HasPrefix(h.Example, h.Name+"=") || h.Example == h.Name+"=":
			t.Errorf("option %q: Example = %q, want %s=<value>", h.Name, h.Example, h.Name)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("Help() names = %q, want sorted", names)
	}
	if got := slices.Compact(slices.Clone(names)); len(got) != len(names) {
		t.Errorf("Help() names = %q, want no duplicates", names)
	}
	if got, want := ValidOptions(), strings.Join(names, ", "); got != want {
		t.Errorf("ValidOptions() = %q, want %q", got, want)
	}
	if got := ValidOptions(); got != validOptions {
		t.Errorf("ValidOptions() = %q, want %q (update the error messages in these tests)", got, validOptions)
	}
	// The flags: their Syntax has no "=".
	var flags []string
	for _, h := range help {
		if !strings.Contains(h.Syntax, "=") {
			flags = append(flags, h.Name)
		}
	}
	if diff := cmp.Diff([]string{"public"}, flags); diff != "" {
		t.Errorf("flags in Help() mismatch (-want +got):\n%s", diff)
	}
}

// TestHelpExamples checks that the documentation and the parser agree: each
// option's example parses, and the hints in error messages use it.
func TestHelpExamples(t *testing.T) {
	t.Parallel()
	for _, h := range Help() {
		t.Run(h.Name, func(t *testing.T) {
			t.Parallel()
			text := "//tenant:task " + h.Example
			task, err := Parse(text)
			if err != nil {
				t.Fatalf("Parse(%q) returned error %v, want success", text, err)
			}
			key, value, hasValue := strings.Cut(h.Example, "=")
			want := Arg{Key: key, Value: value, HasValue: hasValue, KeyOffset: 14}
			if hasValue {
				want.ValueOffset = 14 + len(key) + 1
			}
			if u, err := strconv.Unquote(value); err == nil {
				// A value with spaces, written as a Go string.
				want.Value = u
				want.ValueOffset++
			}
			got, ok := task.Lookup(h.Name)
			if !ok {
				t.Fatalf("Parse(%q).Lookup(%q) found nothing", text, h.Name)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Parse(%q).Lookup(%q) mismatch (-want +got):\n%s", text, h.Name, diff)
			}

			// The wrong form gives a hint that matches the help.
			var bad, wantMsg string
			if hasValue {
				bad = "//tenant:task " + h.Name
				wantMsg = "e.g. " + h.Example
			} else {
				bad = "//tenant:task " + h.Name + "=x"
				wantMsg = "write " + `"` + h.Name + `" alone`
			}
			if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), wantMsg) {
				t.Errorf("Parse(%q) error = %v, want it to contain %q", bad, err, wantMsg)
			}
		})
	}

	// All examples together, except cache, which a public task rejects.
	var all []string
	for _, h := range Help() {
		if h.Name != "cache" {
			all = append(all, h.Example)
		}
	}
	text := "//tenant:task " + strings.Join(all, " ")
	if _, err := Parse(text); err != nil {
		t.Errorf("Parse(%q) returned error %v, want success", text, err)
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s          string
		candidates []string
		want       string
	}{
		{"cahce", []string{"cache", "dbs"}, "cache"},
		{"cach", []string{"cache", "dbs"}, "cache"},
		{"caches", []string{"cache", "dbs"}, "cache"},
		{"cxxxe", []string{"cache"}, ""},   // three edits away
		{"x", []string{"dbs", "name"}, ""}, // no plausible typo
		{"x", []string{"db"}, ""},          // as many edits as the candidate is long
		{"timeuot", []string{"timeout"}, "timeout"},
		{"", []string{"task"}, ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.s, tt.candidates); got != tt.want {
			t.Errorf("suggest(%q, %q) = %q, want %q", tt.s, tt.candidates, got, tt.want)
		}
	}
}
