package migrate

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
)

// ErrNoFiles is wrapped by the error of Check for migrations that hold no
// .sql files at their root.
var ErrNoFiles = errors.New("no .sql files at the root of the migrations")

// Check returns an error wrapping ErrNoFiles unless files holds *.sql files
// at its root, which is where Apply reads them. A nil files holds no
// migrations, on purpose, and passes.
//
// The natural mistake is an embed.FS of a migrations folder
// (//go:embed migrations), whose root holds the folder, not the files:
// Apply would find nothing and the tenant would be marked ready with no
// tables. The error then names the folders that hold .sql files, and the
// fs.Sub call that reaches the first.
func Check(files fs.FS) error {
	if files == nil {
		return nil
	}
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return fmt.Errorf("read the migrations: %w", err)
	}
	if len(names) > 0 {
		return nil
	}
	counts := map[string]int{}
	// Errors only cut the walk short: what it found is still worth saying.
	fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".sql") {
			counts[path.Dir(p)]++
		}
		return nil
	})
	if len(counts) == 0 {
		return fmt.Errorf("%w, nor in any folder of them: pass the folder that holds them, such as fs.Sub(fsys, \"migrations\") for an embed.FS of migrations/*.sql, or nil for no migrations", ErrNoFiles)
	}
	dirs := slices.Sorted(maps.Keys(counts))
	held := make([]string, len(dirs))
	for i, d := range dirs {
		held[i] = fmt.Sprintf("%s/ holds %d", d, counts[d])
	}
	return fmt.Errorf("%w (%s): pass fs.Sub(fsys, %q), the folder of the files", ErrNoFiles, strings.Join(held, ", "), dirs[0])
}
