package runtime_test

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDependencies keeps the runtime small: programs that run tasks import
// it, so it must not pull in the generator or the libraries the generator is
// built on.
func TestDependencies(t *testing.T) {
	t.Parallel()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("cannot find the go command: %v", err)
	}
	root := moduleRoot(t, goCmd)

	cmd := exec.Command(goCmd, "list", "-deps", "./runtime/...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./runtime/...: %v\n%s", err, stderr(err))
	}
	deps := strings.Fields(string(out))
	for _, want := range []string{"github.com/tenantgen/tenantgen/runtime", "github.com/tenantgen/tenantgen/internal/names"} {
		if !slices.Contains(deps, want) {
			t.Fatalf("go list -deps ./runtime/... does not list %s; is the test looking at the right module?\n%s", want, out)
		}
	}

	forbidden := []string{
		"github.com/dave/jennifer",
		"golang.org/x/tools",
		"github.com/tenantgen/tenantgen/internal/directive",
		"github.com/tenantgen/tenantgen/internal/scan",
		"github.com/tenantgen/tenantgen/internal/codegen",
	}
	for _, dep := range deps {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("package runtime depends on %s; it must not depend on anything under %s", dep, f)
			}
		}
	}
}

// moduleRoot returns the directory of the go.mod of the package under test.
func moduleRoot(t *testing.T, goCmd string) string {
	t.Helper()
	out, err := exec.Command(goCmd, "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v\n%s", err, stderr(err))
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == "/dev/null" || gomod == "NUL" {
		t.Fatalf("go env GOMOD = %q; the test must run inside the module", gomod)
	}
	return filepath.Dir(gomod)
}

// stderr returns the standard error output carried by err, if any.
func stderr(err error) []byte {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.Stderr
	}
	return nil
}
