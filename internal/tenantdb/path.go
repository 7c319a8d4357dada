package tenantdb

import "github.com/jackc/pgx/v5"

// setPathSQL makes search_path current until the end of the transaction:
// the implicit one of a batch, or the task's.
const setPathSQL = "select set_config('search_path', $1, true)"

// SearchPath returns the search_path value for schema, then shared,
// quoted. An empty schema, or the shared one, gives the shared schema
// alone.
func SearchPath(schema, shared string) string {
	if schema == "" || schema == shared {
		return pgx.Identifier{shared}.Sanitize()
	}
	return pgx.Identifier{schema}.Sanitize() + ", " + pgx.Identifier{shared}.Sanitize()
}
