package runtime_test

import (
	"bytes"
	"cmp"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// tenancyDB is the database server a tenancy test talks to: PostgreSQL
// itself, or PgBouncer in transaction pool mode in front of it.
type tenancyDB struct {
	url    string
	pooler bool // through PgBouncer
}

// directDB is the test's PostgreSQL server.
func directDB(t testing.TB) tenancyDB {
	return tenancyDB{url: testenv.DatabaseURL(t)}
}

// pgbouncerDB is the test's PgBouncer; the test is skipped, saying why,
// when there is none (see testenv.PgBouncerURL).
func pgbouncerDB(t testing.TB) tenancyDB {
	return tenancyDB{url: testenv.PgBouncerURL(t), pooler: true}
}

// outsidePath is the search_path, unquoted, of the App's pools outside
// tasks: the shared schema, or behind PgBouncer, which refuses search_path
// as a startup parameter, the server's default. Never a tenant's.
func (d tenancyDB) outsidePath(t testing.TB, tb *tenancyBundle) string {
	t.Helper()
	if !d.pooler {
		return tb.shared
	}
	var path string
	if err := tb.pg.QueryRow(context.Background(), "select boot_val from pg_settings where name = 'search_path'").Scan(&path); err != nil {
		t.Fatal(err)
	}
	return unquote(path)
}

// TestPgBouncerTenancy runs the tenancy stress and leak tests through
// PgBouncer in transaction pool mode, in both DB modes: every task in its
// tenant's schema, whichever server connection each of its transactions
// gets, and no tenant's search_path left on a server connection.
func TestPgBouncerTenancy(t *testing.T) {
	t.Parallel()
	db := pgbouncerDB(t)
	n := 1_000
	if testing.Short() {
		n = 300
	}
	for _, tc := range stressCases {
		t.Run("stress/"+tc.name, func(t *testing.T) {
			t.Parallel()
			tenancyStress(t, db, n, tc)
		})
	}
	for _, mode := range dbModes {
		t.Run("leak/"+mode.String(), func(t *testing.T) {
			t.Parallel()
			checkNoLeak(t, db, mode)
		})
	}
}

// TestPgBouncerExecModes runs every statement the runtime sends through
// PgBouncer: with pgx's default mode, which Open replaces, and in the
// modes that work behind a transaction pooler, in both DB modes.
func TestPgBouncerExecModes(t *testing.T) {
	t.Parallel()
	db := pgbouncerDB(t)
	for _, mode := range []string{"", "cache_describe", "exec", "simple_protocol"} {
		url := db.url
		if mode != "" {
			url = withExecMode(url, mode)
		}
		for _, dbMode := range dbModes {
			t.Run(cmp.Or(mode, "default")+"/"+dbMode.String(), func(t *testing.T) {
				t.Parallel()
				checkEveryStatement(t, url, dbMode)
			})
		}
	}
}

// TestOpenBehindPgBouncer checks what Open makes of a pool behind
// PgBouncer: the pools it opens itself work out of the box, and a mode that
// cannot work there fails at Open, saying what to set.
func TestOpenBehindPgBouncer(t *testing.T) {
	t.Parallel()
	pgb := pgbouncerDB(t).url
	given := func(url string, mode pgx.QueryExecMode) func(t *testing.T, c *runtime.Config) {
		return func(t *testing.T, c *runtime.Config) {
			pc, err := pgxpool.ParseConfig(url)
			if err != nil {
				t.Fatal(err)
			}
			pc.ConnConfig.DefaultQueryExecMode = mode
			p, err := pgxpool.NewWithConfig(t.Context(), pc)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(p.Close)
			c.Pools = map[string]*pgxpool.Pool{"default": p}
		}
	}
	databases := func(url string) func(t *testing.T, c *runtime.Config) {
		return func(t *testing.T, c *runtime.Config) { c.Databases = map[string]string{"default": url} }
	}
	for _, tc := range []struct {
		name     string
		db       func(t *testing.T, c *runtime.Config)
		wantErr  []string // "" for none
		wantMode pgx.QueryExecMode
		wantLog  []string
	}{
		{
			name:     "URL in the default mode",
			db:       databases(pgb),
			wantMode: pgx.QueryExecModeExec,
			wantLog:  []string{"exec instead of cache_statement", "refuses search_path as a startup parameter"},
		},
		{
			name:     "URL in simple_protocol",
			db:       databases(withExecMode(pgb, "simple_protocol")),
			wantMode: pgx.QueryExecModeSimpleProtocol,
			wantLog:  []string{"refuses search_path as a startup parameter"},
		},
		{
			name:    "URL naming cache_statement",
			db:      databases(withExecMode(pgb, "cache_statement")),
			wantErr: []string{`database "default"`, "prepared statement ... already exists", "default_query_exec_mode=exec to its URL", "max_prepared_statements", "docs/pgbouncer.md"},
		},
		{
			name:    "URL naming describe_exec",
			db:      databases(withExecMode(pgb, "describe_exec")),
			wantErr: []string{"describe_exec", "default_query_exec_mode=exec to its URL", "no pooler keeps the unnamed statement"},
		},
		{
			name:    "URL with its own search_path",
			db:      databases(pgb + sep(pgb) + "search_path=public"),
			wantErr: []string{"unsupported startup parameter: search_path", "remove them from the URL", "docs/pgbouncer.md"},
		},
		{
			name:    "given pool in the default mode",
			db:      given(pgb, pgx.QueryExecModeCacheStatement),
			wantErr: []string{"ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec", "Config.Pools"},
		},
		{
			name:     "given pool in exec mode",
			db:       given(pgb, pgx.QueryExecModeExec),
			wantMode: pgx.QueryExecModeExec,
		},
		{
			// No pooler: the mode the URL names is kept, and nothing is
			// logged.
			name:     "PostgreSQL itself, naming cache_statement",
			db:       databases(withExecMode(testenv.DatabaseURL(t), "cache_statement")),
			wantMode: pgx.QueryExecModeCacheStatement,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			cfg := runtime.Config{
				Redis:    testenv.Redis(t),
				Prefix:   testenv.UniqueKey(t, "app"),
				Registry: runtime.NewRegistry(),
				Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
			}
			tc.db(t, &cfg)
			app, err := runtime.Open(t.Context(), cfg)
			if tc.wantErr != nil {
				if err == nil {
					app.Close()
				}
				wantError(t, err, tc.wantErr...)
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer app.Close()
			p, _ := app.Pool("default")
			if got := p.Config().ConnConfig.DefaultQueryExecMode; got != tc.wantMode {
				t.Errorf("exec mode of the pool = %v, want %v", got, tc.wantMode)
			}
			var n int
			if err := p.QueryRow(t.Context(), "select $1::int", 7).Scan(&n); err != nil || n != 7 {
				t.Errorf("a query with an argument on the pool: %d, %v", n, err)
			}
			for _, want := range tc.wantLog {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("the log does not say %q; it says:\n%s", want, logs.String())
				}
			}
			if tc.wantLog == nil && strings.Contains(logs.String(), "pooler") {
				t.Errorf("the log mentions a pooler where there is none:\n%s", logs.String())
			}
		})
	}
}
