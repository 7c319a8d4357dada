package runtime

import (
	"fmt"
	"time"
)

// Rate is a rate limit: at most Starts task starts in any window of length
// Per. The zero Rate means no limit.
type Rate struct {
	Starts int
	Per    time.Duration
}

// IsZero reports whether r is the zero Rate, no limit.
func (r Rate) IsZero() bool { return r == Rate{} }

// String returns r as the directive option tenant_rate= writes it, such as
// "100/1s", or "none" for the zero Rate.
func (r Rate) String() string {
	if r.IsZero() {
		return "none"
	}
	return fmt.Sprintf("%d/%v", r.Starts, r.Per)
}

// check reports whether r is a valid limit.
func (r Rate) check() error {
	switch {
	case r.IsZero():
		return nil
	case r.Starts <= 0:
		return fmt.Errorf("rate %v: the number of starts must be positive", r)
	case r.Per < time.Millisecond:
		return fmt.Errorf("rate %v: the window must be at least 1ms", r)
	}
	return nil
}
