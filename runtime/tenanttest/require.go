package tenanttest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// RequireEnqueued returns the first task named name that q accepted. If
// there is none, it fails the test with t.Fatalf, listing the tasks that
// were enqueued.
func RequireEnqueued(t testing.TB, q *Queue, name string) Enqueued {
	t.Helper()
	e, _ := requireEnqueued(t, q, name)
	return e
}

func requireEnqueued(t testingT, q *Queue, name string) (Enqueued, bool) {
	t.Helper()
	all := q.Enqueued()
	for _, e := range all {
		if e.Request.Name == name {
			return e, true
		}
	}
	t.Fatalf("tenanttest: no task %q was enqueued; %s", name, summary(all))
	return Enqueued{}, false
}

// RequireNotEnqueued fails the test with t.Fatalf if q accepted a task
// named name.
func RequireNotEnqueued(t testing.TB, q *Queue, name string) {
	t.Helper()
	requireNotEnqueued(t, q, name)
}

func requireNotEnqueued(t testingT, q *Queue, name string) bool {
	t.Helper()
	if got := matching(q, name); len(got) > 0 {
		t.Fatalf("tenanttest: task %q was enqueued %s, want none: %s", name, times(len(got)), list(got))
		return false
	}
	return true
}

// RequireEnqueuedN returns the n tasks named name that q accepted, in the
// order they were enqueued. If q accepted another number of them, it fails
// the test with t.Fatalf.
func RequireEnqueuedN(t testing.TB, q *Queue, name string, n int) []Enqueued {
	t.Helper()
	got, _ := requireEnqueuedN(t, q, name, n)
	return got
}

func requireEnqueuedN(t testingT, q *Queue, name string, n int) ([]Enqueued, bool) {
	t.Helper()
	if n < 0 {
		t.Fatalf("tenanttest: RequireEnqueuedN: negative count %d", n)
		return nil, false
	}
	got := matching(q, name)
	if len(got) == n {
		return got, true
	}
	if len(got) == 0 {
		t.Fatalf("tenanttest: task %q was enqueued 0 times, want %d; %s", name, n, summary(q.Enqueued()))
	} else {
		t.Fatalf("tenanttest: task %q was enqueued %s, want %d: %s", name, times(len(got)), n, list(got))
	}
	return got, false
}

// DecodeArgs decodes the JSON arguments of e into a T, and fails the test
// with t.Fatalf if they do not decode. T is the argument type of the task,
// such as the struct that the task's function takes.
//
// The parameter types that tenantgen generates for functions with plain
// parameters are unexported, so only tests in the task's own package can
// name them; elsewhere, compare e.Request.Args with the expected JSON
// array, e.g. `["cus_1",1250]`, or decode it with runtime.UnmarshalParams.
func DecodeArgs[T any](t testing.TB, e Enqueued) T {
	t.Helper()
	v, _ := decodeArgs[T](t, e)
	return v
}

func decodeArgs[T any](t testingT, e Enqueued) (T, bool) {
	t.Helper()
	var v T
	if err := json.Unmarshal(e.Request.Args, &v); err != nil {
		t.Fatalf("tenanttest: decode arguments %s of task %q (%s) into %v: %v", e.Request.Args, e.Request.Name, e.ID, reflect.TypeFor[T](), err)
		return v, false
	}
	return v, true
}

// matching returns the tasks named name that q accepted.
func matching(q *Queue, name string) []Enqueued {
	var got []Enqueued
	for _, e := range q.Enqueued() {
		if e.Request.Name == name {
			got = append(got, e)
		}
	}
	return got
}

// summary names the tasks of all, for a failure message.
func summary(all []Enqueued) string {
	if len(all) == 0 {
		return "nothing was enqueued"
	}
	var names []string
	count := make(map[string]int)
	for _, e := range all {
		if count[e.Request.Name] == 0 {
			names = append(names, e.Request.Name)
		}
		count[e.Request.Name]++
	}
	var b strings.Builder
	b.WriteString("enqueued: ")
	for i, name := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", name)
		if n := count[name]; n > 1 {
			fmt.Fprintf(&b, " (%s)", times(n))
		}
	}
	return b.String()
}

// list describes each of the tasks es, for a failure message.
func list(es []Enqueued) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = describe(e.ID, e.Request)
	}
	return strings.Join(parts, "; ")
}

func times(n int) string {
	if n == 1 {
		return "1 time"
	}
	return fmt.Sprintf("%d times", n)
}
