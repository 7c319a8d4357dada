package names_test

import (
	"strings"
	"testing"

	"github.com/tenantgen/tenantgen/internal/names"
)

// nameTest is one input to a Check function and the error it must give.
type nameTest struct {
	name    string
	in      string
	wantErr string // a substring of the error; empty for no error
}

// runNameTests checks every test in tests against check.
func runNameTests(t *testing.T, check func(string) error, tests []nameTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := check(tt.in)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("check(%q) = %v, want no error", tt.in, err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("check(%q) = nil, want an error containing %q", tt.in, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("check(%q) = %q, want an error containing %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestCheckTask(t *testing.T) {
	t.Parallel()
	const invalid = "invalid task name "
	runNameTests(t, names.CheckTask, []nameTest{
		{"letter", "a", ""},
		{"uppercase letter", "A", ""},
		{"digit", "9", ""},
		{"underscore", "_", ""},
		{"default generated name", "github.com/tenantgen/tenantgen/example/billing.SendInvoice", ""},
		{"every allowed character", "_aZ09.-/~+", ""},
		{"exactly the limit", strings.Repeat("t", names.MaxTask), ""},
		{"empty", "", "empty task name"},
		{"one over the limit", strings.Repeat("t", names.MaxTask+1), "task name \"" + strings.Repeat("t", names.MaxTask+1) + "\" is 201 bytes long; the limit is 200"},
		{"limit counted in bytes", strings.Repeat("é", 101), "is 202 bytes long; the limit is 200"},
		{"leading dot", ".a", invalid + `".a"`},
		{"leading dash", "-a", invalid + `"-a"`},
		{"leading slash", "/a", invalid + `"/a"`},
		{"leading tilde", "~a", invalid + `"~a"`},
		{"leading plus", "+a", invalid + `"+a"`},
		{"space", "a b", invalid + `"a b"`},
		{"leading space", " a", invalid + `" a"`},
		{"trailing newline", "a\n", invalid + `"a\n"`},
		{"NUL byte", "a\x00b", invalid + `"a\x00b"`},
		{"double quote", `a"b`, invalid + `"a\"b"`},
		{"single quote", "a'b", invalid + `"a'b"`},
		{"backslash", `a\b`, invalid + `"a\\b"`},
		{"braces", "a{b}", invalid + `"a{b}"`},
		{"colon", "a:b", invalid + `"a:b"`},
		{"star", "a*", invalid + `"a*"`},
		{"unicode letter", "tâche", invalid + `"tâche"`},
		{"unicode only", "日本", invalid + `"日本"`},
		{"invalid UTF-8", "a\xffb", invalid + `"a\xffb"`},
		{"rule in message", "a b", "use ASCII letters, digits and _ . - / ~ +, starting with a letter, digit or _"},
	})
}

func TestCheckQueue(t *testing.T) {
	t.Parallel()
	const invalid = "invalid queue name "
	runNameTests(t, names.CheckQueue, []nameTest{
		{"word", "billing", ""},
		{"letter", "a", ""},
		{"digit", "0", ""},
		{"every allowed character", "az09_.-", ""},
		{"exactly the limit", strings.Repeat("q", names.MaxQueue), ""},
		{"empty", "", "empty queue name"},
		{"one over the limit", strings.Repeat("q", names.MaxQueue+1), "is 65 bytes long; the limit is 64"},
		{"uppercase", "Billing", invalid + `"Billing"`},
		{"leading underscore", "_a", invalid + `"_a"`},
		{"leading dot", ".a", invalid + `".a"`},
		{"leading dash", "-a", invalid + `"-a"`},
		{"slash", "a/b", invalid + `"a/b"`},
		{"tilde", "a~b", invalid + `"a~b"`},
		{"plus", "a+b", invalid + `"a+b"`},
		{"space", "bill ing", invalid + `"bill ing"`},
		{"braces", "{billing}", invalid + `"{billing}"`},
		{"hash tag", "a{b}c", invalid + `"a{b}c"`},
		{"colon", "a:b", invalid + `"a:b"`},
		{"star", "a*", invalid + `"a*"`},
		{"double quote", `a"b`, invalid + `"a\"b"`},
		{"newline", "a\nb", invalid + `"a\nb"`},
		{"unicode letter", "fïle", invalid + `"fïle"`},
		{"rule in message", "A", "use lowercase ASCII letters, digits and _ . -, starting with a letter or digit"},
	})
}

func TestCheckDB(t *testing.T) {
	t.Parallel()
	const invalid = "invalid database alias "
	runNameTests(t, names.CheckDB, []nameTest{
		{"word", "default", ""},
		{"letter", "a", ""},
		{"every allowed character", "az09_", ""},
		{"exactly the limit", strings.Repeat("d", names.MaxDB), ""},
		{"empty", "", "empty database alias"},
		{"one over the limit", strings.Repeat("d", names.MaxDB+1), "is 64 bytes long; the limit is 63"},
		{"uppercase", "Default", invalid + `"Default"`},
		{"leading digit", "1db", invalid + `"1db"`},
		{"leading underscore", "_db", invalid + `"_db"`},
		{"dash", "read-only", invalid + `"read-only"`},
		{"dot", "a.b", invalid + `"a.b"`},
		{"space", "a b", invalid + `"a b"`},
		{"double quote", `a"b`, invalid + `"a\"b"`},
		{"SQL", "a;drop", invalid + `"a;drop"`},
		{"braces", "{a}", invalid + `"{a}"`},
		{"unicode letter", "bäse", invalid + `"bäse"`},
		{"rule in message", "A", "use lowercase ASCII letters, digits and _, starting with a letter"},
	})
}

func TestCheckTenant(t *testing.T) {
	t.Parallel()
	const invalid = "invalid tenant ID "
	runNameTests(t, names.CheckTenant, []nameTest{
		{"slug", "acme", ""},
		{"uuid", "0b7e6f1c-3a2d-4c5e-9f10-2b3c4d5e6f70", ""},
		{"every allowed character", "aZ09_.-", ""},
		{"leading underscore", "_a", ""},
		{"exactly the limit", strings.Repeat("t", names.MaxTenant), ""},
		{"empty", "", "empty tenant ID"},
		{"one over the limit", strings.Repeat("t", names.MaxTenant+1), "is 65 bytes long; the limit is 64"},
		{"leading dash", "-a", invalid + `"-a"`},
		{"single quote", "a'b", invalid + `"a'b"`},
		{"double quote", `a"b`, invalid + `"a\"b"`},
		{"semicolon", "a;drop table t", invalid + `"a;drop table t"`},
		{"space", "a b", invalid + `"a b"`},
		{"braces", "{a}", invalid + `"{a}"`},
		{"NUL", "a\x00b", invalid + `"a\x00b"`},
		{"unicode letter", "çà", invalid + `"çà"`},
	})
}

func TestCheckSchema(t *testing.T) {
	t.Parallel()
	const invalid = "invalid schema name "
	runNameTests(t, names.CheckSchema, []nameTest{
		{"word", "acme", ""},
		{"generated", "t_01hzx3", ""},
		{"leading underscore", "_a", ""},
		{"pg in the middle", "a_pg_b", ""},
		{"pg without underscore", "pgx", ""},
		{"exactly 63 bytes", strings.Repeat("s", 63), ""},
		{"64 bytes", strings.Repeat("s", 64), "is 64 bytes long; the limit is 63"},
		{"empty", "", "empty schema name"},
		{"pg_ prefix", "pg_x", `invalid schema name "pg_x": names starting with pg_ are reserved by PostgreSQL`},
		{"uppercase", "Acme", invalid + `"Acme"`},
		{"leading digit", "1a", invalid + `"1a"`},
		{"double quote", `a"b`, invalid + `"a\"b"`},
		{"single quote", "a'b", invalid + `"a'b"`},
		{"semicolon", "a;drop", invalid + `"a;drop"`},
		{"space", "a b", invalid + `"a b"`},
		{"dash", "a-b", invalid + `"a-b"`},
		{"dot", "public.a", invalid + `"public.a"`},
		{"unicode letter", "ñ", invalid + `"ñ"`},
	})
}
