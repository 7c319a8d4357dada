package tenantdb

import "testing"

func TestSearchPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, schema, shared, want string
	}{
		{"tenant", "t_acme", "public", `"t_acme", "public"`},
		{"public task", "", "public", `"public"`},
		{"shared schema", "shared", "shared", `"shared"`},
		{"quoted", `we"ird`, "public", `"we""ird", "public"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := SearchPath(tc.schema, tc.shared); got != tc.want {
				t.Errorf("SearchPath(%q, %q) = %s, want %s", tc.schema, tc.shared, got, tc.want)
			}
		})
	}
}

func TestSetsPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sql  string
		want bool
	}{
		{"update items set n = n + 1 where id = $1", false},
		{"SET search_path TO other", true},
		{"set schema 'other'", true},
		{"select set_config('SEARCH_PATH', $1, false)", true},
		{"select 1", false},
		{"", false},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			t.Parallel()
			if got := setsPath(tc.sql); got != tc.want {
				t.Errorf("setsPath(%q) = %v, want %v", tc.sql, got, tc.want)
			}
		})
	}
}

// containsFold is on the hot path of every statement: it must not
// allocate.
func TestContainsFoldAllocs(t *testing.T) {
	sql := "UPDATE items SET n = n + 1 WHERE id = $1"
	if n := testing.AllocsPerRun(100, func() { setsPath(sql) }); n != 0 {
		t.Errorf("setsPath allocates %v times per call, want 0", n)
	}
}
