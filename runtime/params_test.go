package runtime_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/runtime"
)

func TestMarshalParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params []any
		want   string
	}{
		{"none", nil, `[]`},
		{"empty slice", []any{}, `[]`},
		{"one", []any{"cus_1"}, `["cus_1"]`},
		{"several", []any{"cus_1", int64(1250), true, nil}, `["cus_1",1250,true,null]`},
		{"nested", []any{[]int{1, 2}, map[string]string{"k": "v"}}, `[[1,2],{"k":"v"}]`},
		{"NoArgs", []any{runtime.NoArgs{}}, `[[]]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := runtime.MarshalParams(tt.params...)
			if err != nil {
				t.Fatalf("MarshalParams: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("MarshalParams(%v) = %s, want %s", tt.params, got, tt.want)
			}
		})
	}
}

func TestParamsRoundTrip(t *testing.T) {
	t.Parallel()
	type values struct {
		Customer string
		Cents    int64
		When     time.Time
		Lines    [][]string
		Meta     map[string]int
	}
	want := values{
		Customer: "cus_1",
		Cents:    -1250,
		When:     time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC),
		Lines:    [][]string{{"a", "b"}, {}},
		Meta:     map[string]int{"x": 1},
	}
	data, err := runtime.MarshalParams(want.Customer, want.Cents, want.When, want.Lines, want.Meta)
	if err != nil {
		t.Fatalf("MarshalParams: %v", err)
	}
	var got values
	if err := runtime.UnmarshalParams(data, &got.Customer, &got.Cents, &got.When, &got.Lines, &got.Meta); err != nil {
		t.Fatalf("UnmarshalParams(%s): %v", data, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip through %s mismatch (-want +got):\n%s", data, diff)
	}
}

func TestUnmarshalParamsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		want string
	}{
		{"too few", `["cus_1"]`, "decode parameter list: got 1 parameters, want 2"},
		{"too many", `["cus_1",1250,true]`, "decode parameter list: got 3 parameters, want 2"},
		{"empty array", `[]`, "decode parameter list: got 0 parameters, want 2"},
		{"null", `null`, "decode parameter list: got 0 parameters, want 2"},
		{"object", `{"customer":"cus_1","cents":1250}`, "decode parameter list: "},
		{"string", `"cus_1"`, "decode parameter list: "},
		{"empty input", ``, "decode parameter list: "},
		{"truncated", `["cus_1",`, "decode parameter list: "},
		{"bad first element", `[1,1250]`, "decode parameter 1: "},
		{"bad second element", `["cus_1","1250"]`, "decode parameter 2: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var customer string
			var cents int64
			err := runtime.UnmarshalParams([]byte(tt.data), &customer, &cents)
			wantError(t, err, tt.want)
		})
	}
}

// chargeParams is written the way the generator writes a parameter struct
// for a function with plain parameters.
type chargeParams struct {
	customerID string
	cents      int64
}

// MarshalJSON encodes the parameters as a JSON array.
func (p chargeParams) MarshalJSON() ([]byte, error) {
	return runtime.MarshalParams(p.customerID, p.cents)
}

// UnmarshalJSON decodes the parameters from a JSON array.
func (p *chargeParams) UnmarshalJSON(data []byte) error {
	return runtime.UnmarshalParams(data, &p.customerID, &p.cents)
}

func TestParamsThroughTask(t *testing.T) {
	t.Parallel()
	var got chargeParams
	task := runtime.NewTask(runtime.TaskSpec{Name: "billing.ChargeCard"}, func(_ context.Context, p chargeParams) error {
		got = p
		return nil
	})
	want := chargeParams{customerID: "cus_1", cents: 1250}
	req, err := task.NewRequest(acme(), want)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	if string(req.Args) != `["cus_1",1250]` {
		t.Errorf("Args = %s, want %s", req.Args, `["cus_1",1250]`)
	}
	if err := task.Run(context.Background(), req.Args); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(chargeParams{})); diff != "" {
		t.Errorf("the function got other parameters (-want +got):\n%s", diff)
	}

	err = task.Run(context.Background(), []byte(`["cus_1","1250"]`))
	wantError(t, err, `tenantgen: decode arguments of task "billing.ChargeCard": decode parameter 2: `)
}

func TestNoArgs(t *testing.T) {
	t.Parallel()
	got, err := json.Marshal(runtime.NoArgs{})
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if string(got) != `[]` {
		t.Errorf("NoArgs encodes as %s, want []", got)
	}

	tests := []struct {
		data    string
		wantErr string // empty for no error
	}{
		{`[]`, ""},
		{` [ ] `, ""},
		{`null`, ""},
		{`[1]`, "decode parameter list: got 1 parameters, want 0"},
		{`[null]`, "decode parameter list: got 1 parameters, want 0"},
		{`{}`, "decode parameter list: "},
		{`""`, "decode parameter list: "},
	}
	for _, tt := range tests {
		t.Run(tt.data, func(t *testing.T) {
			t.Parallel()
			var v runtime.NoArgs
			err := json.Unmarshal([]byte(tt.data), &v)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("Unmarshal(%s): %v", tt.data, err)
				}
				return
			}
			wantError(t, err, tt.wantErr)
		})
	}
}

func TestNoArgsTask(t *testing.T) {
	t.Parallel()
	calls := 0
	task := runtime.NewTask(runtime.TaskSpec{Name: "rates.Refresh", Public: true}, func(context.Context, runtime.NoArgs) error {
		calls++
		return nil
	})
	req, err := task.NewRequest(context.Background(), runtime.NoArgs{})
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	if string(req.Args) != `[]` {
		t.Errorf("Args = %s, want []", req.Args)
	}
	for _, args := range []string{`[]`, `null`} {
		if err := task.Run(context.Background(), []byte(args)); err != nil {
			t.Errorf("Run(%s): %v", args, err)
		}
	}
	if calls != 2 {
		t.Errorf("the function ran %d times, want 2", calls)
	}
	wantError(t, task.Run(context.Background(), []byte(`[1]`)), `tenantgen: decode arguments of task "rates.Refresh": decode parameter list: got 1 parameters, want 0`)
}
