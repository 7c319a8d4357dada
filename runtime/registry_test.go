package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/runtime"
)

// def returns a task named name with default settings and a function that
// does nothing.
func def(name string) *runtime.Task[runtime.NoArgs] {
	return runtime.NewTask(runtime.TaskSpec{Name: name}, func(context.Context, runtime.NoArgs) error { return nil })
}

// wantNames fails the test unless r holds exactly the tasks named want.
func wantNames(t *testing.T, r *runtime.Registry, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if diff := cmp.Diff(want, r.Names()); diff != "" {
		t.Errorf("Names() mismatch (-want +got):\n%s", diff)
	}
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	r := runtime.NewRegistry()
	wantNames(t, r)
	if err := r.Register(); err != nil {
		t.Fatalf("Register(): %v", err)
	}

	c, a, b := def("c.Task"), def("a.Task"), def("b.Task")
	if err := r.Register(c, a); err != nil {
		t.Fatalf("Register(c, a): %v", err)
	}
	if err := r.Register(b); err != nil {
		t.Fatalf("Register(b): %v", err)
	}
	wantNames(t, r, "a.Task", "b.Task", "c.Task")

	for name, want := range map[string]runtime.Definition{"a.Task": a, "b.Task": b, "c.Task": c} {
		got, ok := r.Lookup(name)
		if !ok || got != want {
			t.Errorf("Lookup(%q) = %v, %t; want the registered definition, true", name, got, ok)
		}
	}
	if got, ok := r.Lookup("d.Task"); ok || got != nil {
		t.Errorf("Lookup(%q) = %v, %t; want nil, false", "d.Task", got, ok)
	}

	names := r.Names()
	names[0] = "changed"
	wantNames(t, r, "a.Task", "b.Task", "c.Task")
}

func TestRegisterDuplicate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		before []runtime.Definition // registered first, successfully
		defs   []runtime.Definition // registered next, with an error
	}{
		{
			name: "within one call",
			defs: []runtime.Definition{def("a.Task"), def("b.Task"), def("a.Task")},
		},
		{
			name: "same definition twice in one call",
			defs: func() []runtime.Definition { d := def("a.Task"); return []runtime.Definition{d, d} }(),
		},
		{
			name:   "across calls",
			before: []runtime.Definition{def("a.Task")},
			defs:   []runtime.Definition{def("b.Task"), def("a.Task"), def("c.Task")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runtime.NewRegistry()
			if err := r.Register(tt.before...); err != nil {
				t.Fatalf("first Register: %v", err)
			}
			err := r.Register(tt.defs...)
			wantError(t, err, `tenantgen: register: task "a.Task" is already registered`)

			var want []string
			for _, d := range tt.before {
				want = append(want, d.Spec().Name)
				if got, _ := r.Lookup(d.Spec().Name); got != d {
					t.Errorf("Lookup(%q) no longer returns the first definition", d.Spec().Name)
				}
			}
			wantNames(t, r, want...)
		})
	}
}

func TestRegisterInvalidSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec runtime.TaskSpec
		want string
	}{
		{"empty name", runtime.TaskSpec{}, `register task "": empty task name`},
		{"name with space", runtime.TaskSpec{Name: "a Task"}, `invalid task name "a Task"`},
		{"name with leading dot", runtime.TaskSpec{Name: ".Task"}, `invalid task name ".Task"`},
		{"name with quote", runtime.TaskSpec{Name: `a"Task`}, `invalid task name "a\"Task"`},
		{"name with unicode", runtime.TaskSpec{Name: "a.Tâsk"}, `invalid task name "a.Tâsk"`},
		{"name too long", runtime.TaskSpec{Name: strings.Repeat("t", 201)}, "is 201 bytes long; the limit is 200"},
		{"uppercase queue", runtime.TaskSpec{Name: "a.Task", Queue: "Billing"}, `register task "a.Task": invalid queue name "Billing"`},
		{"queue with braces", runtime.TaskSpec{Name: "a.Task", Queue: "{q}"}, `register task "a.Task": invalid queue name "{q}"`},
		{"empty DB alias", runtime.TaskSpec{Name: "a.Task", DBs: []string{"default", ""}}, `register task "a.Task": empty database alias`},
		{"uppercase DB alias", runtime.TaskSpec{Name: "a.Task", DBs: []string{"Default"}}, `register task "a.Task": invalid database alias "Default"`},
		{"DB alias with digit first", runtime.TaskSpec{Name: "a.Task", DBs: []string{"1db"}}, `register task "a.Task": invalid database alias "1db"`},
		{"duplicate DB alias", runtime.TaskSpec{Name: "a.Task", DBs: []string{"default", "replica", "default"}}, `register task "a.Task": database alias "default" is listed twice`},
		{"retries below NoRetries", runtime.TaskSpec{Name: "a.Task", Retries: runtime.NoRetries - 1}, `register task "a.Task": invalid retry count -2`},
		{"negative timeout", runtime.TaskSpec{Name: "a.Task", Timeout: -time.Second}, `register task "a.Task": negative timeout -1s`},
		{"negative unique", runtime.TaskSpec{Name: "a.Task", Unique: -time.Second}, `register task "a.Task": negative unique window -1s`},
		{"cache below NoCache", runtime.TaskSpec{Name: "a.Task", Cache: runtime.NoCache - 1}, `register task "a.Task": invalid cache TTL -2ns`},
		{"public with cache", runtime.TaskSpec{Name: "a.Task", Public: true, Cache: time.Minute}, `register task "a.Task": a public task has no tenant to cache`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runtime.NewRegistry()
			bad := runtime.NewTask(tt.spec, func(context.Context, runtime.NoArgs) error { return nil })
			err := r.Register(def("ok.Task"), bad)
			wantError(t, err, "tenantgen: ", tt.want)
			wantNames(t, r)
		})
	}
}

func TestRegisterValidSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec runtime.TaskSpec
	}{
		{"defaults", runtime.TaskSpec{Name: "a.Task"}},
		{"every setting", sendSpec()},
		{"NoRetries and NoCache", runtime.TaskSpec{Name: "a.Task", Retries: runtime.NoRetries, Cache: runtime.NoCache}},
		{"public", runtime.TaskSpec{Name: "a.Task", Public: true, Timeout: time.Second}},
		{"longest name", runtime.TaskSpec{Name: strings.Repeat("t", 200)}},
		{"default generated name", runtime.TaskSpec{Name: "github.com/tenantgen/tenantgen/example/billing.SendInvoice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runtime.NewRegistry()
			if err := r.Register(runtime.NewTask(tt.spec, func(context.Context, runtime.NoArgs) error { return nil })); err != nil {
				t.Fatalf("Register: %v", err)
			}
			wantNames(t, r, tt.spec.Name)
		})
	}
}

func TestRegisterNil(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		defs []runtime.Definition
	}{
		{"alone", []runtime.Definition{nil}},
		{"after a valid definition", []runtime.Definition{def("a.Task"), nil}},
		{"before a valid definition", []runtime.Definition{nil, def("a.Task")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runtime.NewRegistry()
			wantError(t, r.Register(tt.defs...), "tenantgen: register: nil task definition")
			wantNames(t, r)
		})
	}
}

func TestRegistryConcurrent(t *testing.T) {
	t.Parallel()
	const n = 32
	r := runtime.NewRegistry()
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		succeeded int // registrations of "shared.Task" that succeeded
		want      = []string{"shared.Task"}
	)
	for i := range n {
		name := fmt.Sprintf("t%02d.Task", i)
		want = append(want, name)
		wg.Go(func() {
			if err := r.Register(def(name)); err != nil {
				t.Errorf("Register(%q): %v", name, err)
			}
		})
		wg.Go(func() {
			if r.Register(def("shared.Task")) == nil {
				mu.Lock()
				succeeded++
				mu.Unlock()
			}
		})
		wg.Go(func() {
			if d, ok := r.Lookup(name); ok && d.Spec().Name != name {
				t.Errorf("Lookup(%q) returned task %q", name, d.Spec().Name)
			}
			_ = r.Names()
		})
	}
	wg.Wait()
	if succeeded != 1 {
		t.Errorf("%d concurrent registrations of the same name succeeded, want 1", succeeded)
	}
	wantNames(t, r, want...)
}

// TestRegistryZeroValue checks that a Registry needs no constructor.
func TestRegistryZeroValue(t *testing.T) {
	t.Parallel()
	var r runtime.Registry
	if _, ok := r.Lookup("billing.Send"); ok {
		t.Fatal("Lookup on an empty Registry found a task")
	}
	task := runtime.NewTask(runtime.TaskSpec{Name: "billing.Send"}, func(context.Context, runtime.NoArgs) error { return nil })
	if err := r.Register(task); err != nil {
		t.Fatalf("Register on a zero Registry: %v", err)
	}
	if diff := cmp.Diff([]string{"billing.Send"}, r.Names()); diff != "" {
		t.Errorf("Names() mismatch (-want +got):\n%s", diff)
	}
}
