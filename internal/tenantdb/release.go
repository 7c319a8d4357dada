package tenantdb

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// setsPath reports whether sql may change search_path for the session
// (SET search_path, set_config('search_path', ...), SET SCHEMA), so that
// it must run in a transaction that resets search_path before committing
// (see tenantTx.Commit). A false positive costs that transaction, three
// round trips instead of one, so the word schema counts only in SET
// SCHEMA: current_schema(), schema_name columns and information_schema,
// common in a schema-per-tenant app, do not.
func setsPath(sql string) bool {
	return containsFold(sql, "search_path") || setsSchema(sql)
}

// setsSchema reports whether sql holds SET [SESSION | LOCAL] SCHEMA,
// without allocating.
func setsSchema(sql string) bool {
	const word = "schema"
	for i := 0; i+len(word) <= len(sql); i++ {
		if sql[i]|0x20 != 's' || !strings.EqualFold(sql[i:i+len(word)], word) ||
			!boundary(sql, i-1) || !boundary(sql, i+len(word)) {
			continue
		}
		prev, at := wordBefore(sql, i)
		if strings.EqualFold(prev, "session") || strings.EqualFold(prev, "local") {
			prev, _ = wordBefore(sql, at)
		}
		if strings.EqualFold(prev, "set") {
			return true
		}
	}
	return false
}

// boundary reports whether sql[i] is not part of an identifier (or i is
// out of range).
func boundary(sql string, i int) bool {
	if i < 0 || i >= len(sql) {
		return true
	}
	c := sql[i] | 0x20
	return !(c >= 'a' && c <= 'z' || sql[i] >= '0' && sql[i] <= '9' || sql[i] == '_' || sql[i] == '$' || sql[i] >= 0x80)
}

// wordBefore returns the word that ends, before white space, at sql[i], and
// where it starts.
func wordBefore(sql string, i int) (string, int) {
	end := i
	for end > 0 && (sql[end-1] == ' ' || sql[end-1] == '\t' || sql[end-1] == '\n' || sql[end-1] == '\r') {
		end--
	}
	start := end
	for start > 0 && !boundary(sql, start-1) {
		start--
	}
	return sql[start:end], start
}

func batchSetsPath(b *pgx.Batch) bool {
	for _, q := range b.QueuedQueries {
		if setsPath(q.SQL) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains the lowercase ASCII word sub,
// ignoring ASCII case, without allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i]|0x20 == sub[0] && strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// release gives c back to its pool, first resetting search_path if dirty.
// A connection that cannot be reset is closed rather than reused.
func release(c *pgxpool.Conn, dirty bool) {
	if dirty && !c.Conn().IsClosed() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := c.Exec(ctx, "reset search_path"); err != nil {
			c.Hijack().Close(ctx)
			return
		}
	}
	c.Release()
}
