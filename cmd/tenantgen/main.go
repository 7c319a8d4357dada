// Tenantgen generates type-safe enqueue functions and worker registrations
// for functions annotated with //tenant:task.
//
// Usage:
//
//	tenantgen [flags] [packages]
//
// With no packages it processes the package in the current directory. For
// each package with tasks it writes tenant_tasks.gen.go; it deletes that
// file from packages that no longer have any. Run it through go generate:
//
//	//go:generate go run github.com/tenantgen/tenantgen/cmd/tenantgen
//
// or, after go get -tool github.com/tenantgen/tenantgen/cmd/tenantgen:
//
//	//go:generate go tool tenantgen
//
// Problems are printed as path:line:col: message, one per line. Tenantgen
// writes nothing when it finds any. It exits 1 on problems, and 2 on a usage
// error. See tenantgen -help for the directive's options.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tenantgen/tenantgen/internal/codegen"
	"github.com/tenantgen/tenantgen/internal/directive"
	"github.com/tenantgen/tenantgen/internal/scan"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run runs tenantgen with the given arguments and returns its exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tenantgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "report files that are out of date and exit 1 if any, writing nothing")
	output := fs.String("output", scan.DefaultOutput, "name of the generated file in each package")
	verbose := fs.Bool("v", false, "print each file written or deleted")
	fs.Usage = func() { usage(fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if strings.ContainsAny(*output, `/\`) || !strings.HasSuffix(*output, ".go") || strings.HasSuffix(*output, "_test.go") {
		fmt.Fprintf(stderr, "tenantgen: invalid -output %q: want a file name ending in .go, not _test.go, with no directory\n", *output)
		return 2
	}
	files, err := codegen.Generate(ctx, scan.Config{Output: *output}, fs.Args()...)
	if err != nil {
		return report(stderr, err)
	}
	wd, _ := os.Getwd()
	stale := 0
	for _, f := range files {
		var changed bool
		var err error
		if *check {
			changed, err = f.Changed()
		} else {
			changed, err = f.Write()
		}
		if err != nil {
			fmt.Fprintf(stderr, "tenantgen: %v\n", err)
			return 1
		}
		if !changed {
			continue
		}
		stale++
		if *check || *verbose {
			fmt.Fprintf(stdout, "%s %s\n", action(f, *check), relative(wd, f.Path))
		}
	}
	if *check && stale > 0 {
		fmt.Fprintf(stderr, "tenantgen: %d generated %s out of date; run go generate\n", stale, plural(stale, "file is", "files are"))
		return 1
	}
	return 0
}

// report prints err, one problem per line, and returns the exit code.
func report(w io.Writer, err error) int {
	var list scan.ErrorList
	if !errors.As(err, &list) {
		fmt.Fprintf(w, "tenantgen: %v\n", err)
		return 1
	}
	wd, _ := os.Getwd()
	for _, e := range list {
		fmt.Fprintln(w, e.Format(wd))
	}
	fmt.Fprintf(w, "tenantgen: %d %s\n", len(list), plural(len(list), "error", "errors"))
	return 1
}

func action(f codegen.File, check bool) string {
	switch {
	case check && f.Content == nil:
		return "would delete"
	case check:
		return "would write"
	case f.Content == nil:
		return "deleted"
	}
	return "wrote"
}

func relative(wd, path string) string {
	if rest, ok := strings.CutPrefix(path, wd+string(os.PathSeparator)); ok && wd != "" {
		return rest
	}
	return path
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `usage: tenantgen [flags] [packages]

Tenantgen writes tenant_tasks.gen.go in each package with //tenant:task
functions: a typed Enqueue function and a TaskName constant per task, and a
RegisterTasks function.

A task function has the form

	//tenant:task cache=30s dbs=default,replica
	func SendInvoice(ctx context.Context, args InvoiceArgs) error

taking a context and then one struct, or plain parameters (encoded as a JSON
array in order), or nothing.

Directive options (space-separated; lists are comma-separated):

`)
	for _, h := range directive.Help() {
		fmt.Fprintf(w, "\t%-32s %s\n", h.Syntax, h.Doc)
	}
	fmt.Fprint(w, "\nFlags:\n")
	fs.PrintDefaults()
}
