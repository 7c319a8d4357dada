package tenantdb

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// setsPath reports whether sql may change search_path for the session
// (SET search_path, SET SCHEMA, set_config), so that it must run in a
// transaction that resets search_path before committing (see
// tenantTx.Commit). False positives (information_schema, say) cost that
// transaction: three round trips instead of one.
func setsPath(sql string) bool {
	return containsFold(sql, "search_path") || containsFold(sql, "schema")
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
