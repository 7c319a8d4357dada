package codegen_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"go/format"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/txtar"

	"github.com/tenantgen/tenantgen/internal/codegen"
	"github.com/tenantgen/tenantgen/internal/scan"
)

var update = flag.Bool("update", false, "rewrite the want sections of golden files from the generator's output")

// A golden case is a txtar archive in testdata/golden. Its files are a
// module's sources (a go.mod for example.com/app requiring the local
// tenantgen is added unless the case has one). Its want/ sections hold the
// expected result: want/<path> for each file written, "<deleted>" as the
// content of a deleted file, or want/errors.txt for the problems reported.
//
// The archive's comment may hold "key: value" lines:
//
//	patterns: ./...   packages to generate for (default ".")
//	typecheck: off    skip type-checking the output (for cases whose
//	                  inputs have type errors on purpose)
func TestGolden(t *testing.T) {
	t.Parallel()
	cases, err := filepath.Glob("testdata/golden/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no golden cases in testdata/golden")
	}
	for _, file := range cases {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runGolden(t, file)
		})
	}
}

func runGolden(t *testing.T, file string) {
	t.Helper()
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	settings := parseSettings(t, ar.Comment)
	dir := writeModule(t, ar)

	got := generate(t, dir, settings["patterns"])
	want := make(map[string]string)
	for _, f := range ar.Files {
		if strings.HasPrefix(f.Name, "want/") {
			want[f.Name] = string(f.Data)
		}
	}
	if *update {
		rewrite(t, file, ar, got)
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("generated files mismatch (-want +got); run go test -update to accept:\n%s", diff)
	}
	for name, content := range got {
		if strings.HasSuffix(name, ".go") && content != "<deleted>\n" {
			if src, err := format.Source([]byte(content)); err != nil || !bytes.Equal(src, []byte(content)) {
				t.Errorf("%s is not gofmt'ed (err %v)", name, err)
			}
		}
	}
	if _, ok := got["want/errors.txt"]; !ok && settings["typecheck"] != "off" {
		typecheck(t, dir, settings["patterns"], got)
	}
}

// parseSettings reads the "key: value" lines of a case's comment.
func parseSettings(t *testing.T, comment []byte) map[string]string {
	t.Helper()
	settings := map[string]string{"patterns": "."}
	for line := range strings.Lines(string(comment)) {
		key, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || strings.Contains(key, " ") {
			continue
		}
		switch key {
		case "patterns", "typecheck":
			settings[key] = strings.TrimSpace(value)
		default:
			t.Fatalf("unknown setting %q in the case's comment", key)
		}
	}
	return settings
}

// writeModule writes the case's input files to a new module directory.
func writeModule(t *testing.T, ar *txtar.Archive) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string][]byte{
		"go.mod": []byte("module example.com/app\n\ngo 1.26\n\nrequire github.com/tenantgen/tenantgen v0.0.0\n\nreplace github.com/tenantgen/tenantgen => " + root + "\n"),
	}
	if sum, err := os.ReadFile(filepath.Join(root, "go.sum")); err == nil {
		files["go.sum"] = sum
	}
	for _, f := range ar.Files {
		if !strings.HasPrefix(f.Name, "want/") {
			files[f.Name] = f.Data
		}
	}
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// env is the environment for the go command in a case's module: offline,
// and tolerant of the go.mod lines that the replace directive implies.
func env() []string {
	return append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
}

// generate runs the generator in dir and returns its result as want/
// sections.
func generate(t *testing.T, dir, patterns string) map[string]string {
	t.Helper()
	files, err := codegen.Generate(context.Background(), scan.Config{Dir: dir, Env: env()}, strings.Fields(patterns)...)
	got := make(map[string]string)
	if err != nil {
		var b strings.Builder
		if list, ok := err.(scan.ErrorList); ok {
			for _, e := range list {
				b.WriteString(e.Format(dir) + "\n")
			}
		} else {
			b.WriteString(strings.ReplaceAll(err.Error(), dir, "$WORK") + "\n")
		}
		got["want/errors.txt"] = b.String()
		return got
	}
	for _, f := range files {
		rel, err := filepath.Rel(dir, f.Path)
		if err != nil {
			t.Fatal(err)
		}
		content := "<deleted>\n"
		if f.Content != nil {
			content = string(f.Content)
		}
		got["want/"+filepath.ToSlash(rel)] = content
	}
	return got
}

// typecheck writes the generated files into the case's module, deleting
// those the generator deletes, then loads its packages and fails on any
// error, so that every golden output is known to compile.
//
// The files go to disk rather than into a packages.Config.Overlay: any
// overlay makes go/packages distrust all export data and type-check every
// dependency from source (the standard library, pgx, go-redis...), which
// takes seconds per case under -race. Without one, only the case's own
// packages are type-checked from source; the go command supplies the rest
// from the build cache.
func typecheck(t *testing.T, dir, patterns string, got map[string]string) {
	t.Helper()
	for name, content := range got {
		path := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(name, "want/")))
		if content == "<deleted>\n" {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedTypes | packages.NeedSyntax | packages.NeedTypesInfo,
		Dir:  dir,
		Env:  env(),
	}
	pkgs, err := packages.Load(cfg, strings.Fields(patterns)...)
	if err != nil {
		t.Fatal(err)
	}
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			t.Errorf("generated code does not type-check: %s", strings.ReplaceAll(e.Error(), dir, "$WORK"))
		}
	})
}

// rewrite replaces the want sections of the archive in file with got.
func rewrite(t *testing.T, file string, ar *txtar.Archive, got map[string]string) {
	t.Helper()
	files := slices.DeleteFunc(slices.Clone(ar.Files), func(f txtar.File) bool {
		return strings.HasPrefix(f.Name, "want/")
	})
	names := make([]string, 0, len(got))
	for name := range got {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		files = append(files, txtar.File{Name: name, Data: []byte(got[name])})
	}
	ar.Files = files
	if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDeterministic generates the same module twice and requires identical
// bytes: output must depend on the source alone.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	ar, err := txtar.ParseFile("testdata/golden/imports.txtar")
	if err != nil {
		t.Fatal(err)
	}
	dir := writeModule(t, ar)
	first := generate(t, dir, "./...")
	for range 3 {
		if diff := cmp.Diff(first, generate(t, dir, "./...")); diff != "" {
			t.Fatalf("second run differs (-first +second):\n%s", diff)
		}
	}
}
