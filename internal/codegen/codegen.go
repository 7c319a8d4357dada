package codegen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/tenantgen/tenantgen/internal/scan"
)

// File is a file to write, or to delete when Content is nil.
type File struct {
	Path    string
	Content []byte
}

// Generate scans the packages matching patterns and returns the files to
// write or delete: one per package that has tasks or stale output. On
// problems in the user's code it returns a scan.ErrorList.
func Generate(ctx context.Context, cfg scan.Config, patterns ...string) ([]File, error) {
	pkgs, err := scan.Scan(ctx, cfg, patterns...)
	if err != nil {
		return nil, err
	}
	var files []File
	for _, pkg := range pkgs {
		old, err := os.ReadFile(pkg.Output)
		exists := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read %s: %w", pkg.Output, err)
		}
		ours := exists && bytes.HasPrefix(old, []byte(scan.Header+"\n"))
		if len(pkg.Tasks) == 0 {
			if ours {
				files = append(files, File{Path: pkg.Output})
			}
			continue
		}
		if exists && !ours {
			return nil, fmt.Errorf("refusing to overwrite %s: tenantgen did not write it (its first line is not %q); rename it or choose another name with -output", pkg.Output, scan.Header)
		}
		src, err := Render(pkg)
		if err != nil {
			return nil, fmt.Errorf("generate package %s: %w", pkg.Path, err)
		}
		files = append(files, File{Path: pkg.Output, Content: src})
	}
	return files, nil
}

// Changed reports whether writing f would change the file system.
func (f File) Changed() (bool, error) {
	old, err := os.ReadFile(f.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return f.Content != nil, nil
	case err != nil:
		return false, err
	}
	return f.Content == nil || !bytes.Equal(old, f.Content), nil
}

// Write writes or deletes f. It leaves an unchanged file alone, keeping its
// modification time and the build cache warm, and reports whether it
// changed anything.
func (f File) Write() (bool, error) {
	changed, err := f.Changed()
	if err != nil || !changed {
		return false, err
	}
	if f.Content == nil {
		return true, os.Remove(f.Path)
	}
	return true, os.WriteFile(f.Path, f.Content, 0o644)
}
