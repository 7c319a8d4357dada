package names

import (
	"fmt"
	"strings"
)

// Limits on name lengths, in bytes.
const (
	MaxTask   = 200
	MaxQueue  = 64
	MaxDB     = 63
	MaxTenant = 64
	MaxSchema = 63 // PostgreSQL's NAMEDATALEN-1; longer names are silently truncated
)

// CheckTask reports whether s is a valid task name. Task names are stable
// identifiers stored with every queued task: ASCII letters, digits and
// "_ . - / ~ +", starting with a letter, digit or underscore. The default name
// "<import path>.<Func>" always qualifies.
func CheckTask(s string) error {
	return check("task name", s, MaxTask, func(i int, c byte) bool {
		return isAlnum(c) || c == '_' || i > 0 && strings.IndexByte(".-/~+", c) >= 0
	}, "ASCII letters, digits and _ . - / ~ +, starting with a letter, digit or _")
}

// CheckQueue reports whether s is a valid queue name: lowercase ASCII
// letters, digits and "_ . -", starting with a letter or digit. Queue names
// become part of Redis keys, so they never contain braces or spaces.
func CheckQueue(s string) error {
	return check("queue name", s, MaxQueue, func(i int, c byte) bool {
		return isLower(c) || isDigit(c) || i > 0 && strings.IndexByte("_.-", c) >= 0
	}, "lowercase ASCII letters, digits and _ . -, starting with a letter or digit")
}

// CheckDB reports whether s is a valid database alias: lowercase ASCII
// letters, digits and underscores, starting with a letter.
func CheckDB(s string) error {
	return check("database alias", s, MaxDB, func(i int, c byte) bool {
		return isLower(c) || i > 0 && (isDigit(c) || c == '_')
	}, "lowercase ASCII letters, digits and _, starting with a letter")
}

// CheckTenant reports whether s is a valid tenant ID: ASCII letters, digits
// and "_ . -", starting with a letter, digit or underscore. Tenant IDs travel
// in every task and in log lines; they never carry quotes, spaces or braces.
func CheckTenant(s string) error {
	return check("tenant ID", s, MaxTenant, func(i int, c byte) bool {
		return isAlnum(c) || c == '_' || i > 0 && (c == '.' || c == '-')
	}, "ASCII letters, digits and _ . -, starting with a letter, digit or _")
}

// CheckSchema reports whether s is a valid tenant schema name: lowercase
// ASCII letters, digits and underscores, starting with a letter or
// underscore, at most 63 bytes, and not starting with "pg_", which
// PostgreSQL reserves.
func CheckSchema(s string) error {
	if strings.HasPrefix(s, "pg_") {
		return fmt.Errorf("invalid schema name %q: names starting with pg_ are reserved by PostgreSQL", s)
	}
	return check("schema name", s, MaxSchema, func(i int, c byte) bool {
		return isLower(c) || c == '_' || i > 0 && isDigit(c)
	}, "lowercase ASCII letters, digits and _, starting with a letter or _")
}

func check(what, s string, max int, ok func(i int, c byte) bool, rule string) error {
	if s == "" {
		return fmt.Errorf("empty %s", what)
	}
	if len(s) > max {
		return fmt.Errorf("%s %q is %d bytes long; the limit is %d", what, s, len(s), max)
	}
	for i := 0; i < len(s); i++ {
		if !ok(i, s[i]) {
			return fmt.Errorf("invalid %s %q: use %s", what, s, rule)
		}
	}
	return nil
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool { return isLower(c) || isDigit(c) || 'A' <= c && c <= 'Z' }
