package main

import (
	"bytes"
	"context"
	"flag"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite the cmp expectations of testdata/script files")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"tenantgen": main})
}

// TestScript runs the end-to-end scripts in testdata/script. Each builds a
// throwaway module that uses this checkout of tenantgen through a replace
// directive, offline, against the host's module and build caches.
func TestScript(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	goEnv := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", name, err)
		}
		return strings.TrimSpace(string(out))
	}
	cache, modcache, gopath := goEnv("GOCACHE"), goEnv("GOMODCACHE"), goEnv("GOPATH")
	// The scripts run offline, so the module cache must already hold what
	// their modules need: every module that tenantgen's packages import,
	// even those this test binary does not (pgx, go-redis), and the go.mod
	// file of every module in the graph, which a module requiring only
	// tenantgen makes the go command load but tenantgen's own tidy go.mod
	// never does. go mod download fetches both, through the caller's proxy
	// settings; with a warm cache it is a no-op.
	download := exec.Command("go", "mod", "download")
	download.Dir = root
	if out, err := download.CombinedOutput(); err != nil {
		t.Fatalf("go mod download in %s: %v\n%s", root, err, out)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       *update,
		Setup: func(env *testscript.Env) error {
			env.Setenv("TENANTGEN_ROOT", root)
			env.Setenv("GOCACHE", cache)
			env.Setenv("GOMODCACHE", modcache)
			env.Setenv("GOPATH", gopath)
			env.Setenv("GOPROXY", "off")
			env.Setenv("GOSUMDB", "off")
			env.Setenv("GOFLAGS", "-mod=mod")
			env.Setenv("GOWORK", "off")
			env.Setenv("GOTOOLCHAIN", "local")
			return nil
		},
	})
}

// TestExitCodes checks the exit status convention: 0 on success, 1 on
// problems in the code, 2 on a usage error.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStderr string
	}{
		{"help", []string{"-help"}, 0, "Directive options"},
		{"unknown flag", []string{"-bogus"}, 2, "flag provided but not defined: -bogus"},
		{"output with directory", []string{"-output=x/y.go"}, 2, `invalid -output "x/y.go"`},
		{"output test file", []string{"-output=x_test.go"}, 2, `invalid -output "x_test.go"`},
		{"no such package", []string{"./does-not-exist"}, 1, "does-not-exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			got := run(context.Background(), tt.args, &stdout, &stderr)
			if got != tt.want {
				t.Errorf("run(%q) = %d, want %d; stderr:\n%s", tt.args, got, tt.want, &stderr)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("run(%q) stderr = %q, want it to contain %q", tt.args, stderr.String(), tt.wantStderr)
			}
		})
	}
}

// TestHelpListsEveryOption checks that -help documents the directive options
// from the same table the parser uses.
func TestHelpListsEveryOption(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{"-help"}, &stdout, &stderr)
	for _, opt := range []string{"cache=<duration>", "dbs=<list of database aliases>", "name=<task name>", "public", "queue=<queue name>", "retries=<count>", "tenant_concurrency=<count>", "tenant_rate=<starts/window>", "timeout=<duration>", "unique=<duration>"} {
		if !strings.Contains(stderr.String(), opt) {
			t.Errorf("tenantgen -help does not mention %q", opt)
		}
	}
}
