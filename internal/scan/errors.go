package scan

import (
	"cmp"
	"fmt"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Error is a problem at a position in the user's source.
type Error struct {
	Pos token.Position
	Msg string

	// Related lists other places the problem involves, such as the first
	// declaration of a duplicated name.
	Related []Note
}

// Note is a secondary position of an Error.
type Note struct {
	Pos token.Position
	Msg string
}

func (e *Error) Error() string { return e.Format("") }

// Format renders e as "path:line:col: message", with each related note on its
// own tab-indented line. Paths inside dir are made relative to it.
func (e *Error) Format(dir string) string {
	var b strings.Builder
	b.WriteString(position(e.Pos, dir))
	b.WriteString(e.Msg)
	for _, n := range e.Related {
		b.WriteString("\n\t")
		b.WriteString(position(n.Pos, dir))
		b.WriteString(n.Msg)
	}
	return b.String()
}

func position(p token.Position, dir string) string {
	if !p.IsValid() && p.Filename == "" {
		return ""
	}
	name := p.Filename
	if dir != "" {
		if rel, err := filepath.Rel(dir, name); err == nil && !strings.HasPrefix(rel, "..") {
			name = rel
		}
	}
	switch {
	case p.Line == 0:
		return name + ": "
	case p.Column == 0:
		return fmt.Sprintf("%s:%d: ", name, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d: ", name, p.Line, p.Column)
}

// ErrorList is a list of Errors, sorted by position by Sort.
type ErrorList []*Error

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	if len(l) == 2 {
		return fmt.Sprintf("%s (and 1 more error)", l[0])
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0], len(l)-1)
}

// Sort sorts l by file, line and column, and drops exact duplicates.
func (l *ErrorList) Sort() {
	slices.SortStableFunc(*l, func(a, b *Error) int {
		return cmp.Or(
			strings.Compare(a.Pos.Filename, b.Pos.Filename),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
			strings.Compare(a.Msg, b.Msg),
		)
	})
	*l = slices.CompactFunc(*l, func(a, b *Error) bool {
		return a.Pos == b.Pos && a.Msg == b.Msg
	})
}

// parsePos parses a "file:line:col" position as go/packages reports it.
func parsePos(s string) token.Position {
	var p token.Position
	parts := strings.Split(s, ":")
	n := len(parts)
	if n >= 3 {
		line, err1 := strconv.Atoi(parts[n-2])
		col, err2 := strconv.Atoi(parts[n-1])
		if err1 == nil && err2 == nil {
			return token.Position{Filename: strings.Join(parts[:n-2], ":"), Line: line, Column: col}
		}
	}
	if n >= 2 {
		if line, err := strconv.Atoi(parts[n-1]); err == nil {
			return token.Position{Filename: strings.Join(parts[:n-1], ":"), Line: line}
		}
	}
	if s != "-" {
		p.Filename = s
	}
	return p
}
