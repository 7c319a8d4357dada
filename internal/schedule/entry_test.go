package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBuild(t *testing.T) {
	t.Parallel()
	lookup := func(task string) (public, ok bool) {
		switch task {
		case "report":
			return false, true
		case "rates":
			return true, true
		}
		return false, false
	}
	noStore := errors.New("the App has no tenant store")
	tests := []struct {
		name     string
		decls    []Decl
		noStore  error
		wantIDs  []string
		wantErrs []string
	}{
		{
			name:    "targets",
			decls:   []Decl{{Task: "report", Every: time.Hour}, {Name: "r", Task: "report", Every: time.Hour, Tenants: []string{"t1"}}, {Name: "r", Task: "report", Every: time.Hour, Tenants: []string{"t1", "t2"}}, {Task: "rates", Cron: "@hourly"}},
			wantIDs: []string{"report@__all__", "r@t1", "r@t1,t2", "rates@public"},
		},
		{
			name:     "declared twice",
			decls:    []Decl{{Task: "report", Every: time.Hour}, {Task: "report", Cron: "@daily"}},
			wantIDs:  []string{"report@__all__"},
			wantErrs: []string{`entry "report@__all__" is declared twice`},
		},
		{
			name:     "no tenant store",
			decls:    []Decl{{Task: "report", Every: time.Hour}, {Task: "rates", Every: time.Hour}},
			noStore:  noStore,
			wantIDs:  []string{"rates@public"},
			wantErrs: []string{`entry "report@__all__" runs for tenants, but the App has no tenant store`},
		},
		{
			name: "invalid",
			decls: []Decl{
				{Name: "x"},
				{Task: "gone", Every: time.Hour},
				{Name: "a@b", Task: "report", Every: time.Hour},
				{Task: "report", Every: time.Hour, Args: []byte("{")},
				{Task: "rates", Every: time.Hour, Tenants: []string{"t1"}},
				{Task: "report", Every: time.Hour, Tenants: []string{"Bad Tenant"}},
			},
			wantErrs: []string{
				`entry "x" names no task`,
				`entry "gone": task "gone" is not registered`,
				`entry name "a@b" must not contain @: the scheduler adds the target`,
				`entry "report": arguments are not valid JSON`,
				`entry "rates": task "rates" is public and runs without a tenant; remove Tenants`,
				`entry "report": `,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			entries, errs := Build(tt.decls, lookup, time.Minute, tt.noStore)
			var ids []string
			for _, e := range entries {
				ids = append(ids, e.ID())
			}
			if diff := cmp.Diff(tt.wantIDs, ids); diff != "" {
				t.Errorf("IDs mismatch (-want +got):\n%s", diff)
			}
			if len(errs) != len(tt.wantErrs) {
				t.Fatalf("got %d errors %q, want %d", len(errs), errs, len(tt.wantErrs))
			}
			for i, err := range errs {
				if !strings.HasPrefix(err.Error(), tt.wantErrs[i]) {
					t.Errorf("error %d = %q, want it to start with %q", i, err, tt.wantErrs[i])
				}
			}
		})
	}
}

func TestBuildSpread(t *testing.T) {
	t.Parallel()
	lookup := func(string) (bool, bool) { return false, true }
	tests := []struct {
		name   string
		spread time.Duration
		want   time.Duration
	}{
		{"default", 0, time.Minute},
		{"none", -1, 0},
		{"own", 5 * time.Minute, 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			entries, errs := Build([]Decl{{Task: "report", Every: time.Hour, Spread: tt.spread}}, lookup, time.Minute, nil)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if diff := cmp.Diff(tt.want, entries[0].spread); diff != "" {
				t.Errorf("spread mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
