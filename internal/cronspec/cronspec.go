package cronspec

import (
	"fmt"
	"strings"

	"github.com/robfig/cron/v3"
)

// parser accepts the five standard fields (minute, hour, day of month,
// month, day of week), descriptors such as @hourly, and an optional
// CRON_TZ=<zone> prefix.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Parse parses spec and returns its schedule. It rejects @every, whose
// ticks depend on when the scheduler started: use an interval (Entry.Every)
// instead, whose ticks are aligned to the Unix epoch.
func Parse(spec string) (cron.Schedule, error) {
	fields := strings.Fields(spec)
	if len(fields) > 0 && (strings.HasPrefix(fields[0], "CRON_TZ=") || strings.HasPrefix(fields[0], "TZ=")) {
		fields = fields[1:]
	}
	if len(fields) > 0 && fields[0] == "@every" {
		return nil, fmt.Errorf("invalid cron spec %q: @every is not supported; use an interval instead", spec)
	}
	s, err := parser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("invalid cron spec %q: %w", spec, err)
	}
	return s, nil
}
