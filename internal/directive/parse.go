package directive

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Prefix starts every tenantgen directive.
const Prefix = "//tenant:"

// Names of the directives, sorted. v1 has one.
var directives = []string{"task"}

// Arg is one option as written in a directive.
type Arg struct {
	Key         string
	Value       string // unquoted value; empty for a flag
	HasValue    bool   // the option was written key=value
	KeyOffset   int    // byte offset of the key in the comment text
	ValueOffset int    // byte offset of the value's first character
}

// Error is a problem in a directive at a byte offset of the comment text.
type Error struct {
	Offset int
	Msg    string

	// Related, if not nil, points at a second place the problem involves,
	// such as the first occurrence of a duplicated option.
	Related *Error
}

func (e *Error) Error() string { return fmt.Sprintf("%d: %s", e.Offset, e.Msg) }

// ErrorList is a list of errors in one directive, in offset order.
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

// Kind says how a comment relates to tenantgen.
type Kind int

const (
	// None is a comment that is not meant for tenantgen.
	None Kind = iota
	// Directive is a comment that starts with Prefix.
	Directive
	// NearMiss is a comment that looks like a directive but is not one,
	// such as "// tenant:task" or "//Tenant:task".
	NearMiss
)

// Match classifies the text of a comment, including its leading "//". For a
// NearMiss it also returns an error saying how to fix the comment.
func Match(text string) (Kind, *Error) {
	if strings.HasPrefix(text, Prefix) {
		return Directive, nil
	}
	rest, ok := strings.CutPrefix(text, "//")
	if !ok {
		return None, nil
	}
	trimmed := strings.TrimLeft(rest, " \t")
	if len(trimmed) < len("tenant:") || !strings.EqualFold(trimmed[:len("tenant:")], "tenant:") {
		return None, nil
	}
	name, _, _ := strings.Cut(trimmed[len("tenant:"):], " ")
	name, _, _ = strings.Cut(name, "\t")
	want := suggest(strings.ToLower(name), directives)
	if want == "" {
		// "// tenant: the owner" is prose, not a misspelt directive.
		return None, nil
	}
	msg := fmt.Sprintf("%q is not a directive; write %q", firstWord(text, trimmed), Prefix+want)
	switch {
	case trimmed != rest:
		msg += ", with no space after \"//\""
	case trimmed[:len("tenant:")] != "tenant:":
		msg += "; directives are lowercase"
	}
	return NearMiss, &Error{Offset: 0, Msg: msg}
}

// firstWord returns the comment up to the end of the directive-like word.
func firstWord(text, trimmed string) string {
	end := len(text) - len(trimmed)
	word, _, _ := strings.Cut(trimmed, " ")
	word, _, _ = strings.Cut(word, "\t")
	return text[:end+len(word)]
}

// Parse parses and checks the comment text of a directive (Match returned
// Directive). On success it returns the task options; otherwise it returns
// every problem found, as an ErrorList.
func Parse(text string) (*Task, error) {
	if !strings.HasPrefix(text, Prefix) {
		return nil, ErrorList{{Offset: 0, Msg: fmt.Sprintf("not a directive: want %q", Prefix+"task")}}
	}
	off := len(Prefix)
	name := text[off:]
	if i := strings.IndexAny(name, " \t"); i >= 0 {
		name = name[:i]
	}
	switch {
	case name == "":
		return nil, ErrorList{{Offset: off, Msg: fmt.Sprintf("missing directive name after %q; write %q", Prefix, Prefix+"task")}}
	case name != "task":
		if rest, ok := strings.CutPrefix(name, "task"); ok && (strings.Contains(rest, "=") || lookupOption(rest) != nil) {
			// "//tenant:taskcache=30s" or "//tenant:taskpublic".
			return nil, ErrorList{{Offset: off + len("task"), Msg: fmt.Sprintf("missing space between %q and its options", Prefix+"task")}}
		}
		msg := fmt.Sprintf("unknown directive %q; the only directive is %s", Prefix+name, Prefix+"task")
		if s := suggest(strings.ToLower(name), directives); s != "" {
			msg = fmt.Sprintf("unknown directive %q (did you mean %q?)", Prefix+name, Prefix+s)
		}
		return nil, ErrorList{{Offset: off, Msg: msg}}
	}
	args, err := split(text, off+len(name))
	if err != nil {
		return nil, ErrorList{err}
	}
	t := &Task{Args: args}
	var errs ErrorList
	for i, a := range args {
		if err := check(t, args[:i], a); err != nil {
			if a.HasValue && err.Offset > a.ValueOffset {
				// An error inside the value, such as at a list item.
				err.Offset = valueOffset(text, a, err.Offset-a.ValueOffset)
			}
			errs = append(errs, err)
		}
	}
	if t.Public && t.CacheSet {
		a, _ := t.Lookup("cache")
		errs = append(errs, &Error{Offset: a.KeyOffset, Msg: "option \"cache\" has no effect on a public task, which runs without a tenant; remove it"})
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b *Error) int { return cmp.Compare(a.Offset, b.Offset) })
		return nil, errs
	}
	return t, nil
}

// check applies one argument to t, given the arguments before it.
func check(t *Task, before []Arg, a Arg) *Error {
	o := lookupOption(a.Key)
	if o == nil {
		msg := fmt.Sprintf("unknown option %q in %s", a.Key, Prefix+"task")
		if s := suggestOption(a.Key); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return &Error{Offset: a.KeyOffset, Msg: msg + "; valid options: " + ValidOptions()}
	}
	for _, b := range before {
		if b.Key == a.Key {
			return &Error{Offset: a.KeyOffset, Msg: fmt.Sprintf("duplicate option %q", a.Key),
				Related: &Error{Offset: b.KeyOffset, Msg: fmt.Sprintf("first %q here", a.Key)}}
		}
	}
	switch {
	case o.isFlag() && a.HasValue:
		return &Error{Offset: a.KeyOffset, Msg: fmt.Sprintf("option %q is a flag and takes no value; write %q alone", a.Key, a.Key)}
	case !o.isFlag() && !a.HasValue:
		return &Error{Offset: a.KeyOffset, Msg: fmt.Sprintf("option %q needs a value, e.g. %s=%s", a.Key, a.Key, o.example)}
	case !o.isFlag() && a.Value == "":
		return &Error{Offset: a.ValueOffset, Msg: fmt.Sprintf("empty value for option %q, e.g. %s=%s", a.Key, a.Key, o.example)}
	}
	return o.set(t, a)
}

// split splits the options of a directive, starting at byte offset off of
// text, into arguments. It stops at the first malformed one, so that one
// mistake does not cascade into several errors.
func split(text string, off int) ([]Arg, *Error) {
	var args []Arg
	i := off
	for {
		for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
			i++
		}
		if i >= len(text) {
			return args, nil
		}
		a := Arg{KeyOffset: i}
		j := i
		for j < len(text) && text[j] != '=' && text[j] != ' ' && text[j] != '\t' {
			j++
		}
		a.Key = text[i:j]
		if err := checkKey(a); err != nil {
			return nil, err
		}
		i = j
		if i < len(text) && text[i] == '=' {
			a.HasValue = true
			i++
			a.ValueOffset = i
			if i < len(text) && (text[i] == '"' || text[i] == '`') {
				end, err := quotedEnd(text, i, a.Key)
				if err != nil {
					return nil, err
				}
				v, uerr := strconv.Unquote(text[i:end])
				if uerr != nil {
					return nil, &Error{Offset: i, Msg: fmt.Sprintf("invalid quoted value %s for option %q", text[i:end], a.Key)}
				}
				a.Value, a.ValueOffset = v, i+1
				i = end
				if i < len(text) && text[i] != ' ' && text[i] != '\t' {
					return nil, &Error{Offset: i, Msg: fmt.Sprintf("missing space after the quoted value of option %q", a.Key)}
				}
			} else {
				j := i
				for j < len(text) && text[j] != ' ' && text[j] != '\t' {
					j++
				}
				a.Value = text[i:j]
				if k := strings.IndexAny(a.Value, "\"`"); k >= 0 {
					return nil, &Error{Offset: i + k, Msg: fmt.Sprintf("unexpected quote in the value of option %q; quote the whole value, e.g. %s=\"a b\"", a.Key, a.Key)}
				}
				i = j
			}
		}
		args = append(args, a)
	}
}

// valueOffset returns the offset in text of byte n of the unquoted value of
// a. It differs from a.ValueOffset+n only for a quoted value with escapes.
func valueOffset(text string, a Arg, n int) int {
	q := text[a.ValueOffset-1]
	if q != '"' && q != '`' {
		return a.ValueOffset + n // not quoted
	}
	s := text[a.ValueOffset:]
	for n > 0 && s != "" && s[0] != q {
		if q == '`' {
			if s[0] != '\r' { // strconv.Unquote drops carriage returns
				n--
			}
			s = s[1:]
			continue
		}
		r, multibyte, tail, err := strconv.UnquoteChar(s, q)
		if err != nil {
			break
		}
		if r < utf8.RuneSelf || !multibyte {
			n--
		} else {
			n -= utf8.RuneLen(r)
		}
		s = tail
	}
	return len(text) - len(s)
}

// checkKey reports a malformed option name.
func checkKey(a Arg) *Error {
	if a.Key == "" {
		return &Error{Offset: a.KeyOffset, Msg: "missing option name before \"=\""}
	}
	if !optionName.MatchString(a.Key) {
		msg := fmt.Sprintf("invalid option name %q: option names are lowercase words joined by underscores", a.Key)
		// "tenant-rate" or "Cache" is a misspelt option, not an unknown one.
		like := strings.Trim(strings.ReplaceAll(strings.ToLower(a.Key), "-", "_"), "_")
		if s := suggestOption(like); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return &Error{Offset: a.KeyOffset, Msg: msg + "; valid options: " + ValidOptions()}
	}
	return nil
}

// optionName matches the names options may have.
var optionName = regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)

// suggestOption returns the option that name is a plausible typo of, or that
// it is the last word of ("rate" for "tenant_rate"), or "".
func suggestOption(name string) string {
	all := make([]string, len(options))
	for i, o := range options {
		all[i] = o.name
	}
	for _, o := range all {
		if strings.HasSuffix(o, "_"+name) {
			return o // before suggest, which finds "name" for "rate"
		}
	}
	return suggest(name, all)
}

// quotedEnd returns the offset just past the Go string literal that starts
// at text[i], the value of option key.
func quotedEnd(text string, i int, key string) (int, *Error) {
	q := text[i]
	for j := i + 1; j < len(text); j++ {
		switch {
		case text[j] == '\\' && q == '"':
			j++
		case text[j] == q:
			return j + 1, nil
		}
	}
	what := "quote"
	if q == '`' {
		what = "backquote"
	}
	return 0, &Error{Offset: i, Msg: fmt.Sprintf("unterminated quoted value for option %q: add the closing %s", key, what)}
}

// suggest returns the candidate closest to s if it is a plausible typo of it.
func suggest(s string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		d := distance(s, c)
		if d < bestDist && d < len(c) {
			best, bestDist = c, d
		}
	}
	return best
}

// distance is the optimal string alignment distance between a and b: the
// edits (insert, delete, substitute, swap adjacent) that turn one into the
// other.
func distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
