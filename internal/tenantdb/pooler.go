package tenantdb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A transaction pooler (PgBouncer with pool_mode = transaction, and the
// like) gives each transaction of a client connection whichever server
// connection is free. Two things a pgx pool assumes then break: a
// statement prepared by name in one transaction is missing in the next, or
// already exists on a connection another client prepared it on (pgx names
// statements by their SQL); and startup parameters such as search_path are
// refused, since they would follow no client. docs/pgbouncer.md is the
// user's side of this file.

// pooled reports whether c reaches PostgreSQL through a pooler. A server
// sends its own process ID as the connection's cancel key (BackendKeyData);
// a pooler sends a key of its own, since it cannot forward a cancel to a
// server connection the client does not own. The query goes with the
// simple protocol, which prepares nothing.
func pooled(ctx context.Context, c *pgx.Conn) (bool, error) {
	var pid uint32
	if err := c.QueryRow(ctx, "select pg_backend_pid()", pgx.QueryExecModeSimpleProtocol).Scan(&pid); err != nil {
		return false, err
	}
	return pid != c.PgConn().PID(), nil
}

// keepsPrepared reports whether the pooler in front of c keeps each
// client's named prepared statements (PgBouncer 1.21+ with
// max_prepared_statements > 0), rather than passing them through to
// whichever server connection the transaction has. A pooler that keeps
// them prepares them on the server under names of its own, so a statement
// prepared in a transaction, which pins one server connection, shows up
// there under its own name only when the pooler passes it through.
func keepsPrepared(ctx context.Context, c *pgx.Conn) (bool, error) {
	const probe = "tenantgen_pooler_probe"
	pc := c.PgConn()
	if err := pc.Exec(ctx, "begin").Close(); err != nil {
		return false, err
	}
	defer func() { pc.Exec(context.WithoutCancel(ctx), "rollback").Close() }()
	if _, err := pc.Prepare(ctx, probe, "select 1", nil); err != nil {
		return false, err
	}
	var passed bool
	err := c.QueryRow(ctx, "select exists (select 1 from pg_prepared_statements where name = '"+probe+"')", pgx.QueryExecModeSimpleProtocol).Scan(&passed)
	// Prepared statements outlive a rollback.
	if derr := pc.Deallocate(ctx, probe); err == nil {
		err = derr
	}
	return !passed, err
}

// unsafeBehindPooler reports whether pgx in mode m relies on a statement
// prepared in one round trip still being there in a later one, outside any
// transaction: by name (cache_statement), or the unnamed one between
// describing and executing it (describe_exec). cache_describe keeps only
// descriptions, on the client, and sends the SQL with every execution.
func unsafeBehindPooler(m pgx.QueryExecMode) bool {
	return m == pgx.QueryExecModeCacheStatement || m == pgx.QueryExecModeDescribeExec
}

// ErrPoolerExecMode is wrapped by the error of Open for a pool behind a
// transaction pooler whose exec mode prepares statements the pooler does
// not keep.
var ErrPoolerExecMode = errors.New("unsafe query exec mode behind a connection pooler")

// poolerModeError is the error of Open for the pool of alias, in mode m,
// behind a pooler that does not keep its prepared statements. given says
// whether the pool came ready-made (Config.Pools) rather than from a URL.
func poolerModeError(alias string, m pgx.QueryExecMode, given bool) error {
	where := "add default_query_exec_mode=exec to its URL in Config.Databases"
	if given {
		where = "set ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec in the pgxpool.Config of the pool in Config.Pools (or default_query_exec_mode=exec in its URL)"
	}
	keep := "or, with PgBouncer 1.21 or later, set max_prepared_statements (e.g. 200) in pgbouncer.ini so that it keeps them"
	if m == pgx.QueryExecModeDescribeExec {
		keep = "no pooler keeps the unnamed statement that describe_exec executes in a second round trip"
	}
	return fmt.Errorf("tenantgen: database %q: %w: it is reached through a connection pooler (PgBouncer?) that does not keep prepared statements, and pgx's query exec mode %s prepares them, which fails with \"prepared statement ... already exists\" or \"does not exist\": %s (simple_protocol and cache_describe work too), %s; see docs/pgbouncer.md",
		alias, ErrPoolerExecMode, modeName(m), where, keep)
}

// modeName returns the name of m in a URL (default_query_exec_mode).
func modeName(m pgx.QueryExecMode) string {
	switch m {
	case pgx.QueryExecModeCacheStatement:
		return "cache_statement"
	case pgx.QueryExecModeCacheDescribe:
		return "cache_describe"
	case pgx.QueryExecModeDescribeExec:
		return "describe_exec"
	case pgx.QueryExecModeExec:
		return "exec"
	case pgx.QueryExecModeSimpleProtocol:
		return "simple_protocol"
	}
	return m.String()
}

// refusedStartupParam reports whether err is a pooler's refusal of the
// startup parameter name, as PgBouncer words it: "unsupported startup
// parameter: search_path".
func refusedStartupParam(err error, name string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && strings.Contains(pe.Message, "unsupported startup parameter") && strings.Contains(pe.Message, name)
}

// probe is what Open learns from a pool's first connection.
type probe struct {
	pooled  bool // behind a pooler
	keepsPS bool // the pooler keeps named prepared statements (asked only when it matters)
}

// probePool asks the first connection of p whether a pooler is in between
// and, if that matters for mode, whether it keeps prepared statements.
func probePool(ctx context.Context, p *pgxpool.Pool, mode pgx.QueryExecMode, askKeeps bool) (probe, error) {
	c, err := p.Acquire(ctx)
	if err != nil {
		return probe{}, err
	}
	defer c.Release()
	var pr probe
	if pr.pooled, err = pooled(ctx, c.Conn()); err != nil || !pr.pooled || !askKeeps || !unsafeBehindPooler(mode) {
		return pr, err
	}
	pr.keepsPS, err = keepsPrepared(ctx, c.Conn())
	return pr, err
}
