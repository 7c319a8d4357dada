package migrate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/tenantgen/tenantgen/internal/testenv"
)

// TestApply applies files twice to a fresh schema: each file runs once, in
// name order, and is recorded in the schema's Table.
func TestApply(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testenv.Postgres(t)
	var b [6]byte
	rand.Read(b[:])
	schema := "migrate_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() { pool.Exec(context.Background(), "drop schema if exists "+schema+" cascade") })

	files := fstest.MapFS{
		"002_more.sql":  {Data: []byte("insert into items values (2)")},
		"001_items.sql": {Data: []byte("create table items (id int primary key); insert into items values (1)")},
		"notes.txt":     {Data: []byte("not a migration")},
	}
	m := Migrator{DB: pool, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	path := pgx.Identifier{schema}.Sanitize() + ", public"
	for i := range 2 {
		if err := m.Apply(ctx, schema, path, files); err != nil {
			t.Fatalf("Apply #%d: %v", i+1, err)
		}
	}

	read := func(sql string) []string {
		t.Helper()
		rows, err := pool.Query(ctx, sql)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if diff := cmp.Diff([]string{"001_items.sql", "002_more.sql"}, read("select name from "+schema+"."+Table+" order by name")); diff != "" {
		t.Errorf("recorded migrations (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1", "2"}, read("select id::text from "+schema+".items order by id")); diff != "" {
		t.Errorf("rows of items (-want +got):\n%s", diff)
	}
}
