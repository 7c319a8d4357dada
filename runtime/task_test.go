package runtime_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/runtime"
)

func TestSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec runtime.TaskSpec
	}{
		{"every setting", sendSpec()},
		{"defaults", runtime.TaskSpec{Name: "billing.Plain"}},
		{"public", runtime.TaskSpec{Name: "billing.Rates", Public: true, Retries: runtime.NoRetries}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			task := runtime.NewTask(tt.spec, func(context.Context, invoice) error { return nil })
			if diff := cmp.Diff(tt.spec, task.Spec()); diff != "" {
				t.Errorf("Spec() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSpecIsACopy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(passed *runtime.TaskSpec, returned *runtime.TaskSpec)
	}{
		{"DBs passed to NewTask", func(passed, _ *runtime.TaskSpec) { passed.DBs[0] = "evil" }},
		{"DBs returned by Spec", func(_, returned *runtime.TaskSpec) { returned.DBs[0] = "evil" }},
		{"DBs returned by Spec, appended to", func(_, returned *runtime.TaskSpec) {
			returned.DBs = append(returned.DBs[:1], "evil")
		}},
		{"other fields returned by Spec", func(_, returned *runtime.TaskSpec) {
			returned.Name, returned.Queue, returned.Public = "evil", "evil", true
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			passed := sendSpec()
			task := runtime.NewTask(passed, func(context.Context, invoice) error { return nil })
			returned := task.Spec()
			tt.mutate(&passed, &returned)
			if diff := cmp.Diff(sendSpec(), task.Spec()); diff != "" {
				t.Errorf("the task's settings changed (-want +got):\n%s", diff)
			}
		})
	}
}

// payload is an argument type with values that JSON must carry faithfully.
type payload struct {
	When   time.Time
	Tags   []string
	Matrix [][]int
	Attrs  map[string][]string
	Nested map[string]map[string]float64
	Items  []item
	Note   *string
	Empty  []string
}

type item struct {
	SKU string
	Qty int
}

func TestRunRoundTrip(t *testing.T) {
	t.Parallel()
	note := "leave at the door"
	want := payload{
		When:   time.Date(2030, 1, 2, 3, 4, 5, 123456789, time.FixedZone("CET", 3600)),
		Tags:   []string{"a", "", "ü", `"quoted"`},
		Matrix: [][]int{{1, 2}, {}, {3}},
		Attrs:  map[string][]string{"k": {"v1", "v2"}, "": {}},
		Nested: map[string]map[string]float64{"eu": {"vat": 0.2}},
		Items:  []item{{SKU: "s-1", Qty: 2}, {SKU: "s-2", Qty: 1}},
		Note:   &note,
	}
	var got payload
	calls := 0
	task := runtime.NewTask(runtime.TaskSpec{Name: "shop.Ship"}, func(_ context.Context, p payload) error {
		calls++
		got = p
		return nil
	})
	req, err := task.NewRequest(acme(), want)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	if err := task.Run(context.Background(), req.Args); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if calls != 1 {
		t.Fatalf("the function ran %d times, want 1", calls)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the function got other arguments (-want +got):\n%s", diff)
	}
}

func TestRunPassesContext(t *testing.T) {
	t.Parallel()
	type key struct{}
	var got any
	task := runtime.NewTask(runtime.TaskSpec{Name: "shop.Ship"}, func(ctx context.Context, _ runtime.NoArgs) error {
		got = ctx.Value(key{})
		return nil
	})
	ctx := context.WithValue(context.Background(), key{}, "value")
	if err := task.Run(ctx, []byte("[]")); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got != "value" {
		t.Errorf("the function's context has value %v, want %q", got, "value")
	}
}

func TestRunDecodeError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args string
	}{
		{"empty", ""},
		{"truncated", `{"id":`},
		{"string", `"inv-1"`},
		{"array", `["inv-1", 1250]`},
		{"wrong field type", `{"id":"inv-1","cents":"1250"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			called := false
			task := runtime.NewTask(sendSpec(), func(context.Context, invoice) error {
				called = true
				return nil
			})
			err := task.Run(context.Background(), []byte(tt.args))
			wantError(t, err, `tenantgen: decode arguments of task "billing.SendInvoice": `)
			if called {
				t.Errorf("the function ran with undecodable arguments %q", tt.args)
			}
		})
	}
}

func TestRunReturnsFunctionError(t *testing.T) {
	t.Parallel()
	errCard := errors.New("card declined")
	task := runtime.NewTask(sendSpec(), func(context.Context, invoice) error { return errCard })
	if err := task.Run(context.Background(), []byte(sendJSON)); err != errCard {
		t.Errorf("Run error = %v, want the function's error %v as is", err, errCard)
	}
}

func TestNewRequestEncodeError(t *testing.T) {
	t.Parallel()
	task := runtime.NewTask(runtime.TaskSpec{Name: "stats.Record"}, func(context.Context, float64) error { return nil })
	_, err := task.NewRequest(acme(), math.NaN())
	wantError(t, err, `tenantgen: encode arguments of task "stats.Record": `)

	rec := &recorder{}
	_, err = task.Enqueue(acme(), rec, math.Inf(1))
	wantError(t, err, `tenantgen: encode arguments of task "stats.Record": `)
	if n := len(rec.requests()); n != 0 {
		t.Errorf("Enqueuer got %d requests, want none", n)
	}
}
