package migrate

import (
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	sql := &fstest.MapFile{Data: []byte("select 1")}
	for _, tc := range []struct {
		name  string
		files fs.FS
		want  string // the error; "" for none
	}{
		{name: "files at the root", files: fstest.MapFS{"001_a.sql": sql, "README": sql}},
		{name: "nil: no migrations, on purpose", files: nil},
		{
			// The embed.FS of //go:embed migrations.
			name:  "a migrations folder",
			files: fstest.MapFS{"migrations/001_a.sql": sql, "migrations/002_b.sql": sql},
			want:  `no .sql files at the root of the migrations (migrations/ holds 2): pass fs.Sub(fsys, "migrations"), the folder of the files`,
		},
		{
			name:  "several folders",
			files: fstest.MapFS{"migrations/tenant/001_a.sql": sql, "migrations/shared/001_a.sql": sql, "migrations/shared/002_b.sql": sql},
			want:  `no .sql files at the root of the migrations (migrations/shared/ holds 2, migrations/tenant/ holds 1): pass fs.Sub(fsys, "migrations/shared"), the folder of the files`,
		},
		{
			name:  "no .sql files anywhere",
			files: fstest.MapFS{"migrations/001_a.txt": sql},
			want:  `no .sql files at the root of the migrations, nor in any folder of them: pass the folder that holds them, such as fs.Sub(fsys, "migrations") for an embed.FS of migrations/*.sql, or nil for no migrations`,
		},
		{name: "empty", files: fstest.MapFS{}, want: `no .sql files at the root of the migrations, nor in any folder of them: pass the folder that holds them, such as fs.Sub(fsys, "migrations") for an embed.FS of migrations/*.sql, or nil for no migrations`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Check(tc.files)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Check = %v, want %q", err, tc.want)
			}
			if !errors.Is(err, ErrNoFiles) {
				t.Errorf("Check = %v, which does not wrap ErrNoFiles", err)
			}
		})
	}
}
