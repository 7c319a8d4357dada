package tenantdb

import (
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The one-round-trip batch (set_config, then the statement) works only for
// statements that the connection has already prepared: pgx prepares a
// batch's new statements before running any of it, so under the
// connection's own search_path, where tenant tables do not resolve. A new
// statement therefore first runs in a transaction begun with SET LOCAL,
// which prepares it on the tenant's schema; PostgreSQL re-parses a
// prepared statement whenever search_path has changed since, so later
// tenants get their own tables. preparedKey holds, in each connection's
// CustomData, the statements known to be prepared.
const preparedKey = "tenantgen.prepared"

// maxPrepared bounds the statements remembered per connection; pgx's own
// statement cache holds 512 by default.
const maxPrepared = 1024

// prepared reports whether c has prepared every statement of sqls, or
// needs no preparing at all.
func (d *DB) prepared(c *pgxpool.Conn, sqls ...string) bool {
	switch d.execMode {
	case pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol:
		return true
	case pgx.QueryExecModeDescribeExec:
		return false
	}
	m, _ := c.Conn().PgConn().CustomData()[preparedKey].(map[string]struct{})
	for _, sql := range sqls {
		if _, ok := m[sql]; !ok {
			return false
		}
	}
	return true
}

// remember records that c has prepared sqls.
func remember(c *pgxpool.Conn, sqls ...string) {
	data := c.Conn().PgConn().CustomData()
	m, _ := data[preparedKey].(map[string]struct{})
	if m == nil || len(m) >= maxPrepared {
		m = make(map[string]struct{})
		data[preparedKey] = m
	}
	for _, sql := range sqls {
		m[sql] = struct{}{}
	}
}

// unprepared forgets sqls after a batch failed with err, which pgx answers
// by dropping them from its cache, and reports whether the failure came
// before anything ran because a statement was not prepared after all.
func unprepared(c *pgxpool.Conn, err error, sqls ...string) bool {
	if err == nil {
		return false
	}
	if m, _ := c.Conn().PgConn().CustomData()[preparedKey].(map[string]struct{}); m != nil {
		for _, sql := range sqls {
			delete(m, sql)
		}
	}
	var pre pgx.ErrPreprocessingBatch
	return errors.As(err, &pre) && !c.Conn().IsClosed()
}
