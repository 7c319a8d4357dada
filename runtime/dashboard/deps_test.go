package dashboard_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the dashboard free of dependencies: an application
// that mounts it gets the standard library and the runtime it already
// has, nothing else (chromedp is for the tests only).
func TestImports(t *testing.T) {
	t.Parallel()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("cannot find the go command: %v", err)
	}
	out, err := exec.Command(goCmd, "list", "-f", `{{join .Imports "\n"}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	imports := strings.Fields(string(out))
	if len(imports) == 0 {
		t.Fatal("go list lists no import; is the test looking at the right package?")
	}
	for _, imp := range imports {
		first, _, _ := strings.Cut(imp, "/")
		if strings.Contains(first, ".") && imp != "github.com/tenantgen/tenantgen/runtime" {
			t.Errorf("package dashboard imports %s: it may import the standard library and runtime only", imp)
		}
	}
}
