package directive

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxRateStarts is the largest number of starts accepted in the tenant_rate
// option. A higher rate is written with a shorter window: 10000/ms rather
// than 10000000/s. The bound keeps typos out and what the engine counts
// per window small.
const MaxRateStarts = 1000000

// MinRateWindow is the shortest window accepted in the tenant_rate option.
const MinRateWindow = time.Millisecond

// Rate is the value of the tenant_rate option: at most Starts task starts
// in any window of length Per. It mirrors runtime.Rate, which this package
// must not import.
type Rate struct {
	Starts int
	Per    time.Duration
}

// parseRate parses the value of the tenant_rate option, <starts>/<window>.
// The window is a Go duration or a unit alone, which means one of it: 100/s
// is 100/1s. Errors point at the part at fault.
func parseRate(a Arg) (Rate, *Error) {
	starts, window, ok := strings.Cut(a.Value, "/")
	if !ok {
		return Rate{}, &Error{Offset: a.ValueOffset, Msg: fmt.Sprintf("invalid rate %q for option %q: want <starts>/<window>, e.g. 100/s or 10/1m", a.Value, a.Key)}
	}
	n, err := strconv.Atoi(starts)
	if err != nil || n < 1 || n > MaxRateStarts {
		msg := fmt.Sprintf("invalid number of starts %q in rate %q: want a whole number from 1 to %d", starts, a.Value, MaxRateStarts)
		if n > MaxRateStarts { // Atoi returns the largest int on overflow
			msg += ", with a shorter window for a higher rate"
		}
		return Rate{}, &Error{Offset: a.ValueOffset, Msg: msg}
	}
	windowError := func(why string) (Rate, *Error) {
		return Rate{}, &Error{Offset: a.ValueOffset + len(starts) + 1, Msg: fmt.Sprintf("invalid window %q in rate %q: %s", window, a.Value, why)}
	}
	const windowHint = "want a unit (ms, s, m, h) or a Go duration, e.g. 100/s or 5/250ms"
	if window == "" {
		return windowError(windowHint)
	}
	per := window
	if !strings.ContainsAny(window, "0123456789.+-") {
		per = "1" + window // a unit alone, or no duration at all
	}
	d, why := durationValue(per, false, windowHint)
	switch {
	case why != "":
		return windowError(why)
	case d < MinRateWindow:
		return windowError("must be at least " + MinRateWindow.String())
	}
	return Rate{Starts: n, Per: d}, nil
}
