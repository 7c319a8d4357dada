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

// PoolConfig says which pools to open and how.
type PoolConfig struct {
	URLs  map[string]string        // pools to open, by alias (Config.Databases)
	Given map[string]*pgxpool.Pool // pools supplied ready-made (Config.Pools)

	// MinConns is the least MaxConns of a pool opened from a URL that does
	// not set pool_max_conns: the worker's concurrency.
	MinConns int

	// SharedSchema is the search_path of connections opened from a URL
	// that does not set one.
	SharedSchema string
}

// Pools are the databases of an App.
type Pools struct {
	All       map[string]*pgxpool.Pool     // every pool, by alias
	Owned     []*pgxpool.Pool              // opened by Open: the caller closes them
	ExecModes map[string]pgx.QueryExecMode // of each pool, by alias
	Notes     []Note                       // what Open adapted to, for the caller to log
}

// Note is something Open adapted a pool to, such as a pooler in front of
// the server.
type Note struct {
	Alias string
	Msg   string
}

// Open opens the pools of c.URLs and checks them with a first connection,
// adapting each to a connection pooler in front of its server (see
// pooler.go), and collects them with c.Given, which it checks only where a
// pooler would break them. On error it closes the pools it opened.
func Open(ctx context.Context, c PoolConfig) (Pools, error) {
	ps := Pools{All: make(map[string]*pgxpool.Pool, len(c.URLs)+len(c.Given))}
	fail := func(err error) (Pools, error) {
		for _, p := range ps.Owned {
			p.Close()
		}
		return Pools{}, err
	}
	for alias, p := range c.Given {
		if err := checkGiven(ctx, alias, p); err != nil {
			return fail(err)
		}
		ps.All[alias] = p
	}
	for alias, url := range c.URLs {
		p, notes, err := open(ctx, alias, url, c)
		if p != nil {
			ps.All[alias] = p
			ps.Owned = append(ps.Owned, p)
		}
		ps.Notes = append(ps.Notes, notes...)
		if err != nil {
			return fail(err)
		}
	}
	ps.ExecModes = make(map[string]pgx.QueryExecMode, len(ps.All))
	for alias, p := range ps.All {
		// Read once: pgx's Conn.Config copies the whole configuration
		// per call.
		ps.ExecModes[alias] = p.Config().ConnConfig.DefaultQueryExecMode
	}
	return ps, nil
}

// open opens the pool of one URL and checks it with a first connection. It
// returns the pool with a failed check, so that the caller closes it.
//
// Behind a pooler it adapts the pool rather than fail, where the URL leaves
// it the choice: without search_path as a startup parameter if the pooler
// refuses it (the runtime never relies on it: its own SQL names its
// schemas, and tasks set their path in their own transactions), and in
// exec mode if the URL names no default_query_exec_mode and pgx's default
// would prepare statements the pooler does not keep. A mode the URL names
// is the user's choice: kept if it is safe there, else an error that says
// what to set.
func open(ctx context.Context, alias, url string, c PoolConfig) (*pgxpool.Pool, []Note, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, nil, fmt.Errorf("tenantgen: database %q: invalid URL: %w", alias, err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		pc.MaxConns = max(pc.MaxConns, int32(c.MinConns))
	}
	explicitMode := strings.Contains(url, "default_query_exec_mode")
	// Code that uses the pool without a task sees only the shared schema,
	// whatever the server's default search_path, where the server takes it.
	ownPath := false
	if _, ok := pc.ConnConfig.RuntimeParams["search_path"]; !ok {
		pc.ConnConfig.RuntimeParams["search_path"] = SearchPath("", c.SharedSchema)
		ownPath = true
	}
	var notes []Note
	// At most three tries: each retry drops one thing the pooler refused.
	for {
		p, err := pgxpool.NewWithConfig(ctx, pc)
		if err != nil {
			return nil, notes, fmt.Errorf("tenantgen: database %q: %w", alias, err)
		}
		mode := pc.ConnConfig.DefaultQueryExecMode
		pr, err := probePool(ctx, p, mode, explicitMode)
		switch {
		case err != nil && ownPath && refusedStartupParam(err, "search_path"):
			p.Close()
			delete(pc.ConnConfig.RuntimeParams, "search_path")
			ownPath = false
			notes = append(notes, Note{alias, "the server refuses search_path as a startup parameter, as PgBouncer does: code that uses App.Pool outside tasks sees the server's default search_path, not only the shared schema (tasks are not affected; see docs/pgbouncer.md)"})
			continue
		case err != nil:
			return p, notes, connectError(alias, err)
		case !pr.pooled || !unsafeBehindPooler(mode) || (explicitMode && pr.keepsPS):
			return p, notes, nil
		case explicitMode:
			return p, notes, poolerModeError(alias, mode, false)
		}
		p.Close()
		pc.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
		notes = append(notes, Note{alias, fmt.Sprintf("reached through a connection pooler (PgBouncer?): using pgx query exec mode exec instead of %s, which prepares statements a transaction pooler does not keep; name default_query_exec_mode in the URL to choose (see docs/pgbouncer.md)", modeName(mode))})
	}
}

// checkGiven checks a pool given ready-made, in a mode that a pooler in
// front of its server would break: the App cannot change its
// configuration, only say what to set.
func checkGiven(ctx context.Context, alias string, p *pgxpool.Pool) error {
	cfg := p.Config()
	mode := cfg.ConnConfig.DefaultQueryExecMode
	if !unsafeBehindPooler(mode) {
		return nil
	}
	explicitMode := strings.Contains(cfg.ConnString(), "default_query_exec_mode")
	pr, err := probePool(ctx, p, mode, explicitMode)
	switch {
	case err != nil:
		return connectError(alias, err)
	case pr.pooled && !(explicitMode && pr.keepsPS):
		return poolerModeError(alias, mode, true)
	}
	return nil
}

// connectError is the error of a first connection that failed.
func connectError(alias string, err error) error {
	var pe *pgconn.PgError
	switch {
	case refusedStartupParam(err, ""):
		return fmt.Errorf("tenantgen: connect to database %q: %w (a connection pooler such as PgBouncer refuses startup parameters: remove them from the URL in Config.Databases; see docs/pgbouncer.md)", alias, err)
	case errors.As(err, &pe):
		// The server answered: it is running.
		return fmt.Errorf("tenantgen: connect to database %q: %w (check Config.Databases)", alias, err)
	}
	return fmt.Errorf("tenantgen: connect to database %q: %w (is PostgreSQL running? check Config.Databases)", alias, err)
}
