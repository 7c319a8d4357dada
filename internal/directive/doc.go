// Package directive parses //tenant:task comments.
//
// A directive is a line comment with no space after the slashes:
//
//	//tenant:task cache=30s dbs=default,replica queue=billing retries=5 timeout=2m
//
// Options are separated by spaces. Each is key=value, or a bare flag such as
// public. Lists are comma-separated with no spaces, durations use
// time.ParseDuration syntax, and a value that needs spaces is written as a Go
// string: key="a b". The table in options.go is the single source of truth
// for the options: it drives validation, the "valid options" list in error
// messages, tenantgen -help and the reference in docs/directive.md.
//
// Errors carry byte offsets into the comment text, so that callers can point
// at the exact key or value.
//
// It owns the option table and the syntax of directives; it must not load
// packages or know Go types (package scan does), and the runtime must not
// import it.
package directive
