package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/internal/directive"
)

// TestDirectiveDocs checks that the option table in docs/directive.md is
// the one the parser uses; -update rewrites it.
func TestDirectiveDocs(t *testing.T) {
	t.Parallel()
	const path = "../../docs/directive.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	const begin, end = "<!-- options:begin", "<!-- options:end -->"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s: missing %q ... %q markers", path, begin, end)
	}
	i += strings.Index(doc[i:], "\n") + 1

	var b strings.Builder
	b.WriteString("| option | example | meaning |\n| --- | --- | --- |\n")
	for _, h := range directive.Help() {
		doc := strings.NewReplacer("<", "&lt;", ">", "&gt;", "|", "\\|").Replace(h.Doc)
		fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", h.Syntax, h.Example, doc)
	}
	want := b.String()
	if *update {
		if err := os.WriteFile(path, []byte(doc[:i]+want+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if diff := cmp.Diff(want, doc[i:j]); diff != "" {
		t.Errorf("%s: option table is stale (-want +got); run go test ./cmd/tenantgen -update:\n%s", path, diff)
	}
}
