package tenantdb

import "github.com/jackc/pgx/v5"

// setPathSQL makes search_path current until the end of the transaction:
// the implicit one of a batch, or the task's.
const setPathSQL = "select set_config('search_path', $1, true)"

// SearchPath returns the search_path value for schema, then shared,
// quoted. An empty schema, or the shared one, gives the shared schema
// alone.
func SearchPath(schema, shared string) string {
	return NewSearchPaths(shared).For(schema)
}

// SearchPaths builds search_path values that end with one shared schema,
// quoted once: a worker builds one per task.
type SearchPaths struct {
	shared string // the shared schema
	quoted string // the shared schema, quoted
}

// NewSearchPaths returns the SearchPaths that end with shared.
func NewSearchPaths(shared string) SearchPaths {
	return SearchPaths{shared: shared, quoted: pgx.Identifier{shared}.Sanitize()}
}

// For returns the search_path value for schema, as SearchPath does.
func (p SearchPaths) For(schema string) string {
	if schema == "" || schema == p.shared {
		return p.quoted
	}
	return pgx.Identifier{schema}.Sanitize() + ", " + p.quoted
}
