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
// built on, nor OpenTelemetry or Prometheus, which only the opt-in package
// runtime/oteltenantgen imports (and that one the OpenTelemetry API only,
// never the SDK).
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
	checkDeps(t, "./runtime/...", deps, forbidden)
	telemetry := []string{"go.opentelemetry.io", "github.com/prometheus"}
	checkDeps(t, "./runtime ./runtime/tenanttest", listDeps(t, goCmd, root, "./runtime", "./runtime/tenanttest"), telemetry)
	checkDeps(t, "./runtime/oteltenantgen", listDeps(t, goCmd, root, "./runtime/oteltenantgen"),
		[]string{"go.opentelemetry.io/otel/sdk", "go.opentelemetry.io/otel/exporters", "github.com/prometheus"})
}

// listDeps returns what go list -deps lists for pkgs.
func listDeps(t *testing.T, goCmd, root string, pkgs ...string) []string {
	t.Helper()
	cmd := exec.Command(goCmd, append([]string{"list", "-deps"}, pkgs...)...)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", strings.Join(pkgs, " "), err, stderr(err))
	}
	return strings.Fields(string(out))
}

// checkDeps reports each of deps, the dependencies of pkgs, that is or is
// under one of forbidden.
func checkDeps(t *testing.T, pkgs string, deps, forbidden []string) {
	t.Helper()
	for _, dep := range deps {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("%s depends on %s; it must not depend on anything under %s", pkgs, dep, f)
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
