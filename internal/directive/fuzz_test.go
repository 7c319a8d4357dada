package directive

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		// Valid.
		"//tenant:task",
		"//tenant:task cache=30s dbs=default,replica queue=billing retries=5 timeout=2m",
		"//tenant:task public name=billing.send_invoice unique=1h30m",
		"//tenant:task cache=0 retries=0",
		"//tenant:task\tcache=1.5s\t\tqueue=q   ",
		`//tenant:task queue="billing" name="a.b"`,
		"//tenant:task name=`raw.name` dbs=`a,b`",
		`//tenant:task dbs="\x61,b"`,
		"//tenant:task tenant_concurrency=2 tenant_rate=100/s",
		"//tenant:task public tenant_rate=5/250ms tenant_concurrency=10000",
		`//tenant:task tenant_rate="\x31\x30/1m30s"`,
		// Invalid.
		"//tenant:",
		"//tenant:taks",
		"//tenant:TASK",
		"//tenant:taskcache=1s",
		"//tenant:task cahce=30s dbs=default,,replica retries=lots",
		"//tenant:task cache=30 timeout=0s public=true",
		"//tenant:task queue=Billing name=\"has space\" queue=x",
		"//tenant:task public cache=1m",
		"//tenant:task cache",
		"//tenant:task cache=",
		"//tenant:task =30s",
		"//tenant:task Cache=1s",
		`//tenant:task queue="unterminated`,
		"//tenant:task name=`unterminated",
		`//tenant:task queue=bill"ing"`,
		`//tenant:task queue="a"cache=1s`,
		`//tenant:task queue="a\qb"`,
		`//tenant:task dbs="a,\x62,,c"`,
		`//tenant:task dbs="\xff,,"`,
		"//tenant:task dbs=`a,\r,b`",
		"//tenant:task unique=2562048h retries=1001",
		"//tenant:task queue=ünïcode cache=-5",
		"//tenant:task cache=1s public retries=x",
		"//tenant:task tenant_concurrency=0 tenant_rate=100",
		"//tenant:task tenant_rate=0/s tenant_concurrency=10001",
		"//tenant:task tenant_rate=100/999us",
		"//tenant:task tenant_rate=1/2562048h",
		"//tenant:task tenant_rate=99999999999999999999/s",
		"//tenant:task tenant_rate=/ tenant-rate=1/s",
		`//tenant:task tenant_rate="1\x30/\x31x"`,
		// Durations, for the durationSyntax check.
		"1h30m",
		"1s.5s",
		"99999999999999999999s",
		"+.5\u00b5s",
		// Not directives.
		"// tenant:task",
		"//Tenant:task",
		"// tenant: the owner of the row",
		"//go:generate tenantgen",
		"/* tenant:task */",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		kind, merr := Match(text)
		if want := strings.HasPrefix(text, Prefix); (kind == Directive) != want {
			t.Errorf("Match(%q) = %v, want Directive: %v", text, kind, want)
		}
		switch {
		case kind == NearMiss && (merr == nil || merr.Msg == ""):
			t.Errorf("Match(%q) = NearMiss, %v, want an error message", text, merr)
		case kind == NearMiss && (merr.Offset < 0 || merr.Offset > len(text)):
			t.Errorf("Match(%q) error offset %d is outside [0, %d]", text, merr.Offset, len(text))
		case kind != NearMiss && merr != nil:
			t.Errorf("Match(%q) = %v, %v, want a nil error", text, kind, merr)
		}

		checkDurationSyntax(t, text)

		task, err := Parse(text)
		task2, err2 := Parse(text)
		if diff := cmp.Diff(task, task2); diff != "" {
			t.Errorf("Parse(%q) task is not deterministic (-first +second):\n%s", text, diff)
		}
		if diff := cmp.Diff(err, err2); diff != "" {
			t.Errorf("Parse(%q) error is not deterministic (-first +second):\n%s", text, diff)
		}

		if err != nil {
			if task != nil {
				t.Errorf("Parse(%q) = %+v, %v, want a nil task with the error", text, task, err)
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("Parse(%q) error = %#v, want a non-empty ErrorList", text, err)
			}
			prev := 0
			for _, e := range list {
				for r := e; r != nil; r = r.Related {
					if r.Offset < 0 || r.Offset > len(text) {
						t.Errorf("Parse(%q): offset %d of %q is outside [0, %d]", text, r.Offset, r.Msg, len(text))
					}
					if r.Msg == "" {
						t.Errorf("Parse(%q): empty message at offset %d", text, r.Offset)
					}
				}
				if e.Offset < prev {
					t.Errorf("Parse(%q): errors not in offset order: %d after %d", text, e.Offset, prev)
				}
				prev = e.Offset
			}
			return
		}

		if kind != Directive {
			t.Errorf("Parse(%q) succeeded, but Match = %v", text, kind)
		}
		for _, a := range task.Args {
			if a.KeyOffset < 0 || a.KeyOffset > len(text) || !strings.HasPrefix(text[a.KeyOffset:], a.Key) {
				t.Errorf("Parse(%q): key %q at offset %d is not in the text", text, a.Key, a.KeyOffset)
			}
			if a.ValueOffset < 0 || a.ValueOffset > len(text) {
				t.Errorf("Parse(%q): value %q of %q at offset %d is outside [0, %d]", text, a.Value, a.Key, a.ValueOffset, len(text))
			}
			if a.HasValue && a.ValueOffset <= a.KeyOffset {
				t.Errorf("Parse(%q): value of %q at offset %d is not after its key at %d", text, a.Key, a.ValueOffset, a.KeyOffset)
			}
			if _, ok := task.Lookup(a.Key); !ok {
				t.Errorf("Parse(%q).Lookup(%q) found nothing", text, a.Key)
			}
		}
		if task.Public && task.CacheSet {
			t.Errorf("Parse(%q) accepted public with cache", text)
		}
		if task.Retries < 0 || task.Retries > MaxRetries {
			t.Errorf("Parse(%q) Retries = %d, want 0 to %d", text, task.Retries, MaxRetries)
		}
		if task.Cache < 0 || task.Timeout < 0 || task.Unique < 0 {
			t.Errorf("Parse(%q) has a negative duration: %+v", text, task)
		}
		if c := task.TenantConcurrency; c < 0 || c > MaxTenantConcurrency {
			t.Errorf("Parse(%q) TenantConcurrency = %d, want 0 to %d", text, c, MaxTenantConcurrency)
		}
		if r := task.TenantRate; r != (Rate{}) && (r.Starts < 1 || r.Starts > MaxRateStarts || r.Per < MinRateWindow) {
			t.Errorf("Parse(%q) TenantRate = %+v, want the zero Rate or 1 to %d starts per at least %v", text, r, MaxRateStarts, MinRateWindow)
		}
	})
}

var digits = regexp.MustCompile(`[0-9]+`)

// checkDurationSyntax checks that durationSyntax, which tells an overflowing
// duration from a malformed one, matches exactly what time.ParseDuration
// accepts apart from overflow: a matching s still parses with every number
// made small.
func checkDurationSyntax(t *testing.T, s string) {
	_, err := time.ParseDuration(s)
	match := durationSyntax.MatchString(s)
	switch s {
	case "0", "+0", "-0": // special cases of time.ParseDuration
		return
	}
	if err == nil && !match {
		t.Errorf("time.ParseDuration(%q) succeeds, but durationSyntax does not match", s)
	}
	if small := digits.ReplaceAllString(s, "1"); match && len(small) < 1000 {
		if _, err := time.ParseDuration(small); err != nil {
			t.Errorf("durationSyntax matches %q, but time.ParseDuration(%q) fails: %v", s, small, err)
		}
	}
}
