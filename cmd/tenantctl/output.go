package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tenantgen/tenantgen/runtime"
)

// table collects the rows of a command's output for people.
type table struct {
	rows    [][]string
	footers []string
}

// row adds a row of cells.
func (t *table) row(cells ...any) {
	r := make([]string, len(cells))
	for i, c := range cells {
		r[i] = fmt.Sprint(c)
	}
	t.rows = append(t.rows, r)
}

// pair adds a key and its value.
func (t *table) pair(k string, v any) { t.row(k+":", v) }

// footer adds a line after the rows.
func (t *table) footer(s string) { t.footers = append(t.footers, s) }

// print prints v as JSON with -json, else the table that fill makes.
func (e *env) print(v any, fill func(*table)) error {
	if e.opts.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	var t table
	fill(&t)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, f := range t.footers {
		fmt.Fprintln(e.stdout, f)
	}
	return nil
}

// unknown prints a count, "?" for -1 (too large to count).
func unknown(n int64) string {
	if n < 0 {
		return "?"
	}
	return fmt.Sprint(n)
}

// age prints a duration for people, "-" for none.
func age(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// since prints how long ago t was.
func since(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return age(time.Since(t)) + " ago"
}

// stamp prints a time, "-" for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// when prints the time that matters for a task in its state.
func when(t runtime.TaskInfo) string {
	switch t.State {
	case runtime.StateScheduled, runtime.StateRetrying:
		return "due " + stamp(t.Due)
	case runtime.StateRunning:
		return "started " + since(t.Started)
	case runtime.StateDead:
		return "died " + since(t.Died)
	}
	return "enqueued " + since(t.Enqueued)
}

// list prints a list, "-" when empty.
func list(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

// orDash returns s, or "-" when empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// firstLine returns the first line of s, cut to n runes.
func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return orDash(s)
}

// nextHint tells how to get the next page, if there is one.
func nextHint(next int) string {
	if next == 0 {
		return ""
	}
	return fmt.Sprintf("; more with -offset %d", next)
}
