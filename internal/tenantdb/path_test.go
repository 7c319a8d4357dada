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
		{"SET SESSION\n\tSCHEMA 'other'", true},
		{"select 1; set local schema 'other'", true},
		{"select set_config('SEARCH_PATH', $1, false)", true},
		{"select 1", false},
		{"", false},
		{"schema", false},
		// The common mentions of schema that change nothing.
		{"select current_schema()", false},
		{"insert into activity (tenant_id, schema_name) values ($1, current_schema())", false},
		{"select table_name from information_schema.tables", false},
		{"create schema if not exists t_acme", false},
		{"select 1 as offset_schema, reset schema", false},
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
	for _, sql := range []string{"UPDATE items SET n = n + 1 WHERE id = $1", "SELECT current_schema(), schema_name FROM t SET SCHEMA"} {
		if n := testing.AllocsPerRun(100, func() { setsPath(sql) }); n != 0 {
			t.Errorf("setsPath(%q) allocates %v times per call, want 0", sql, n)
		}
	}
}
