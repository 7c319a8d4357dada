package directive

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The per-tenant limits: tenant_concurrency= and tenant_rate=.

func TestParseLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text            string
		wantConcurrency int
		wantRate        Rate
	}{
		{text: "tenant_concurrency=1", wantConcurrency: 1},
		{text: "tenant_concurrency=2", wantConcurrency: 2},
		{text: "tenant_concurrency=" + strconv.Itoa(MaxTenantConcurrency), wantConcurrency: MaxTenantConcurrency},
		{text: "tenant_rate=100/s", wantRate: Rate{Starts: 100, Per: time.Second}},
		{text: "tenant_rate=100/1s", wantRate: Rate{Starts: 100, Per: time.Second}},
		{text: "tenant_rate=10/1m", wantRate: Rate{Starts: 10, Per: time.Minute}},
		{text: "tenant_rate=10/m", wantRate: Rate{Starts: 10, Per: time.Minute}},
		{text: "tenant_rate=1000/h", wantRate: Rate{Starts: 1000, Per: time.Hour}},
		{text: "tenant_rate=1000/1h", wantRate: Rate{Starts: 1000, Per: time.Hour}},
		{text: "tenant_rate=5/250ms", wantRate: Rate{Starts: 5, Per: 250 * time.Millisecond}},
		{text: "tenant_rate=1/ms", wantRate: Rate{Starts: 1, Per: time.Millisecond}},
		{text: "tenant_rate=1/1000us", wantRate: Rate{Starts: 1, Per: time.Millisecond}},
		{text: "tenant_rate=3/1.5s", wantRate: Rate{Starts: 3, Per: 1500 * time.Millisecond}},
		{text: "tenant_rate=7/1h30m", wantRate: Rate{Starts: 7, Per: 90 * time.Minute}},
		{text: "tenant_rate=1/24h", wantRate: Rate{Starts: 1, Per: 24 * time.Hour}},
		{text: "tenant_rate=" + strconv.Itoa(MaxRateStarts) + "/s", wantRate: Rate{Starts: MaxRateStarts, Per: time.Second}},
		{text: `tenant_rate="100/s"`, wantRate: Rate{Starts: 100, Per: time.Second}},
		{
			text:            "tenant_concurrency=2 tenant_rate=100/s",
			wantConcurrency: 2, wantRate: Rate{Starts: 100, Per: time.Second},
		},
		{
			// A public task's limits hold for its runs together.
			text:            "public tenant_concurrency=1 tenant_rate=1/m",
			wantConcurrency: 1, wantRate: Rate{Starts: 1, Per: time.Minute},
		},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			text := "//tenant:task " + tt.text
			task, err := Parse(text)
			if err != nil {
				t.Fatalf("Parse(%q) returned error %v, want success", text, err)
			}
			if task.TenantConcurrency != tt.wantConcurrency {
				t.Errorf("Parse(%q).TenantConcurrency = %d, want %d", text, task.TenantConcurrency, tt.wantConcurrency)
			}
			if diff := cmp.Diff(tt.wantRate, task.TenantRate); diff != "" {
				t.Errorf("Parse(%q).TenantRate mismatch (-want +got):\n%s", text, diff)
			}
		})
	}
}

func TestParseLimitsArgs(t *testing.T) {
	t.Parallel()
	text := "//tenant:task queue=q tenant_concurrency=2 tenant_rate=100/s"
	want := &Task{
		Queue:             "q",
		TenantConcurrency: 2,
		TenantRate:        Rate{Starts: 100, Per: time.Second},
		Args: []Arg{
			{Key: "queue", Value: "q", HasValue: true, KeyOffset: 14, ValueOffset: 20},
			{Key: "tenant_concurrency", Value: "2", HasValue: true, KeyOffset: 22, ValueOffset: 41},
			{Key: "tenant_rate", Value: "100/s", HasValue: true, KeyOffset: 43, ValueOffset: 55},
		},
	}
	got, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse(%q) returned error %v, want success", text, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse(%q) mismatch (-want +got):\n%s", text, diff)
	}
}

func TestParseLimitErrors(t *testing.T) {
	t.Parallel()
	// Offsets: "//tenant:task tenant_concurrency=" is 33 bytes, and
	// "//tenant:task tenant_rate=" 26, so a window after "100/" is at 30.
	const wantCount = "want a whole number from 1 to 10000"
	const wantStarts = "want a whole number from 1 to 1000000"
	const wantWindow = "want a unit (ms, s, m, h) or a Go duration, e.g. 100/s or 5/250ms"
	tests := []struct {
		name string
		text string
		want []wantError
	}{
		// tenant_concurrency.
		{
			name: "concurrency zero",
			text: "//tenant:task tenant_concurrency=0",
			want: []wantError{{Offset: 33, Msg: `invalid tenant concurrency "0": ` + wantCount + `; leave the option out to use the App's setting`}},
		},
		{
			name: "concurrency negative",
			text: "//tenant:task tenant_concurrency=-1",
			want: []wantError{{Offset: 33, Msg: `invalid tenant concurrency "-1": ` + wantCount}},
		},
		{
			name: "concurrency above the maximum",
			text: "//tenant:task tenant_concurrency=10001",
			want: []wantError{{Offset: 33, Msg: `invalid tenant concurrency "10001": ` + wantCount}},
		},
		{
			name: "concurrency overflowing int",
			text: "//tenant:task tenant_concurrency=99999999999999999999",
			want: []wantError{{Offset: 33, Msg: `invalid tenant concurrency "99999999999999999999": ` + wantCount}},
		},
		{
			name: "concurrency not a number",
			text: "//tenant:task tenant_concurrency=two",
			want: []wantError{{Offset: 33, Msg: `invalid tenant concurrency "two": ` + wantCount}},
		},
		{
			name: "concurrency fractional",
			text: "//tenant:task tenant_concurrency=1.5",
			want: []wantError{{Offset: 33, Msg: `invalid tenant concurrency "1.5": ` + wantCount}},
		},
		{
			name: "concurrency without value",
			text: "//tenant:task tenant_concurrency",
			want: []wantError{{Offset: 14, Msg: `option "tenant_concurrency" needs a value, e.g. tenant_concurrency=2`}},
		},
		{
			name: "concurrency duplicated",
			text: "//tenant:task tenant_concurrency=1 tenant_concurrency=2",
			want: []wantError{{Offset: 35, Msg: `duplicate option "tenant_concurrency"`, Related: &wantError{Offset: 14, Msg: `first "tenant_concurrency" here`}}},
		},

		// tenant_rate: its shape and the number of starts.
		{
			name: "rate without a slash",
			text: "//tenant:task tenant_rate=100",
			want: []wantError{{Offset: 26, Msg: `invalid rate "100" for option "tenant_rate": want <starts>/<window>, e.g. 100/s or 10/1m`}},
		},
		{
			name: "rate written per second in words",
			text: "//tenant:task tenant_rate=100ps",
			want: []wantError{{Offset: 26, Has: `want <starts>/<window>`}},
		},
		{
			name: "rate without value",
			text: "//tenant:task tenant_rate",
			want: []wantError{{Offset: 14, Msg: `option "tenant_rate" needs a value, e.g. tenant_rate=100/s`}},
		},
		{
			name: "rate with empty value",
			text: "//tenant:task tenant_rate=",
			want: []wantError{{Offset: 26, Msg: `empty value for option "tenant_rate", e.g. tenant_rate=100/s`}},
		},
		{
			name: "rate without starts",
			text: "//tenant:task tenant_rate=/s",
			want: []wantError{{Offset: 26, Msg: `invalid number of starts "" in rate "/s": ` + wantStarts}},
		},
		{
			name: "rate with zero starts",
			text: "//tenant:task tenant_rate=0/s",
			want: []wantError{{Offset: 26, Msg: `invalid number of starts "0" in rate "0/s": ` + wantStarts}},
		},
		{
			name: "rate with negative starts",
			text: "//tenant:task tenant_rate=-5/s",
			want: []wantError{{Offset: 26, Msg: `invalid number of starts "-5" in rate "-5/s": ` + wantStarts}},
		},
		{
			name: "rate with fractional starts",
			text: "//tenant:task tenant_rate=0.5/s",
			want: []wantError{{Offset: 26, Msg: `invalid number of starts "0.5" in rate "0.5/s": ` + wantStarts}},
		},
		{
			name: "rate with starts above the maximum",
			text: "//tenant:task tenant_rate=2000000/s",
			want: []wantError{{Offset: 26, Msg: `invalid number of starts "2000000" in rate "2000000/s": ` + wantStarts + `, with a shorter window for a higher rate`}},
		},
		{
			name: "rate with starts overflowing int",
			text: "//tenant:task tenant_rate=99999999999999999999/s",
			want: []wantError{{Offset: 26, Has: `, with a shorter window for a higher rate`}},
		},
		{
			name: "rate with the window first",
			text: "//tenant:task tenant_rate=s/100",
			want: []wantError{{Offset: 26, Msg: `invalid number of starts "s" in rate "s/100": ` + wantStarts}},
		},

		// tenant_rate: the window, pointed at after the slash.
		{
			name: "window missing",
			text: "//tenant:task tenant_rate=100/",
			want: []wantError{{Offset: 30, Msg: `invalid window "" in rate "100/": ` + wantWindow}},
		},
		{
			name: "window unknown unit",
			text: "//tenant:task tenant_rate=100/sec",
			want: []wantError{{Offset: 30, Msg: `invalid window "sec" in rate "100/sec": ` + wantWindow}},
		},
		{
			name: "window in days",
			text: "//tenant:task tenant_rate=100/1d",
			want: []wantError{{Offset: 30, Msg: `invalid window "1d" in rate "100/1d": ` + wantWindow}},
		},
		{
			name: "window without unit",
			text: "//tenant:task tenant_rate=100/10",
			want: []wantError{{Offset: 30, Msg: `invalid window "10" in rate "100/10": missing unit, e.g. 10s`}},
		},
		{
			name: "window zero",
			text: "//tenant:task tenant_rate=100/0s",
			want: []wantError{{Offset: 30, Msg: `invalid window "0s" in rate "100/0s": must be positive`}},
		},
		{
			name: "window negative",
			text: "//tenant:task tenant_rate=100/-1s",
			want: []wantError{{Offset: 30, Msg: `invalid window "-1s" in rate "100/-1s": must not be negative`}},
		},
		{
			name: "window below a millisecond",
			text: "//tenant:task tenant_rate=100/999us",
			want: []wantError{{Offset: 30, Msg: `invalid window "999us" in rate "100/999us": must be at least 1ms`}},
		},
		{
			name: "window a unit below a millisecond",
			text: "//tenant:task tenant_rate=100/ns",
			want: []wantError{{Offset: 30, Msg: `invalid window "ns" in rate "100/ns": must be at least 1ms`}},
		},
		{
			name: "window overflowing",
			text: "//tenant:task tenant_rate=1/2562048h",
			want: []wantError{{Offset: 28, Msg: `invalid window "2562048h" in rate "1/2562048h": too large; use at most 2562047h`}},
		},
		{
			name: "window with a second slash",
			text: "//tenant:task tenant_rate=100/1s/2",
			want: []wantError{{Offset: 30, Msg: `invalid window "1s/2" in rate "100/1s/2": ` + wantWindow}},
		},
		{
			name: "window that is a unit and more",
			text: "//tenant:task tenant_rate=100/h30m",
			want: []wantError{{Offset: 30, Has: wantWindow}},
		},
		{
			name: "window in a quoted value with escapes",
			text: `//tenant:task tenant_rate="\x31\x30/1x"`,
			want: []wantError{{Offset: 36, Msg: `invalid window "1x" in rate "10/1x": ` + wantWindow}},
		},

		// Together with other problems, in offset order.
		{
			name: "both limits invalid",
			text: "//tenant:task tenant_rate=100/0s tenant_concurrency=0 retries=x",
			want: []wantError{
				{Offset: 30, Has: `must be positive`},
				{Offset: 52, Has: `invalid tenant concurrency "0"`},
				{Offset: 62, Has: `invalid retry count "x"`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, tt.text, tt.want)
		})
	}
}
