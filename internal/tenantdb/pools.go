package tenantdb

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
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
}

// Open opens the pools of c.URLs, pings them, and collects them with
// c.Given. On error it closes the pools it opened.
func Open(ctx context.Context, c PoolConfig) (Pools, error) {
	ps := Pools{All: make(map[string]*pgxpool.Pool, len(c.URLs)+len(c.Given))}
	for alias, p := range c.Given {
		ps.All[alias] = p
	}
	for alias, url := range c.URLs {
		p, err := open(ctx, alias, url, c)
		if p != nil {
			ps.All[alias] = p
			ps.Owned = append(ps.Owned, p)
		}
		if err != nil {
			for _, p := range ps.Owned {
				p.Close()
			}
			return Pools{}, err
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

// open opens and pings the pool of one URL. It returns the pool with a
// failed ping, so that the caller closes it.
func open(ctx context.Context, alias, url string, c PoolConfig) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("tenantgen: database %q: invalid URL: %w", alias, err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		pc.MaxConns = max(pc.MaxConns, int32(c.MinConns))
	}
	// Code that uses the pool without a task sees only the shared schema,
	// whatever the server's default search_path.
	if _, ok := pc.ConnConfig.RuntimeParams["search_path"]; !ok {
		pc.ConnConfig.RuntimeParams["search_path"] = SearchPath("", c.SharedSchema)
	}
	p, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("tenantgen: database %q: %w", alias, err)
	}
	if err := p.Ping(ctx); err != nil {
		return p, fmt.Errorf("tenantgen: connect to database %q: %w (is PostgreSQL running? check Config.Databases)", alias, err)
	}
	return p, nil
}
