package tenantdb

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ScopeConfig is what a task's scope is built from.
type ScopeConfig struct {
	Task     string   // the task's name, for errors
	Declared []string // the aliases the task declared, in order
	Path     string   // search_path value, quoted (see SearchPath)

	// PerTask runs all of the task's statements on a database in one
	// transaction (DBTransaction), rather than each on its own.
	PerTask bool

	Pools     map[string]*pgxpool.Pool     // every configured pool, by alias
	ExecModes map[string]pgx.QueryExecMode // of each pool, by alias
}

// Scope holds the databases of one running task: one DB per declared
// alias. Finish ends them all when the task ends.
type Scope struct {
	task     string
	declared []string
	pools    map[string]*pgxpool.Pool
	dbs      []DB // in declared order; stored by value, one allocation
}

// NewScope returns the scope of a task that is about to run.
func NewScope(c ScopeConfig) Scope {
	s := Scope{task: c.Task, declared: c.Declared, pools: c.Pools, dbs: make([]DB, len(c.Declared))}
	for i, alias := range c.Declared {
		d := &s.dbs[i]
		d.alias = alias
		d.pool = c.Pools[alias]
		d.path = c.Path
		d.perTx = c.PerTask
		d.execMode = c.ExecModes[alias]
	}
	return s
}

// Len returns the number of declared databases.
func (s *Scope) Len() int { return len(s.dbs) }

// DB returns the i-th declared database.
func (s *Scope) DB(i int) *DB { return &s.dbs[i] }

// Index returns the position of alias among the declared databases, or an
// error telling the user how to declare it.
func (s *Scope) Index(alias string) (int, error) {
	if i := slices.Index(s.declared, alias); i >= 0 {
		return i, nil
	}
	if _, ok := s.pools[alias]; !ok {
		return -1, fmt.Errorf("tenantgen: task %q asked for database %q, which is not configured: add it to Config.Databases or Config.Pools", s.task, alias)
	}
	return -1, fmt.Errorf("tenantgen: task %q did not declare database %q: add it to the dbs= option of its //tenant:task directive (declared: %s)", s.task, alias, strings.Join(s.declared, ", "))
}

// Finish ends the task's use of its databases: what it left open is
// closed and, with one transaction per task, each transaction commits if
// ok and rolls back otherwise. It returns the commit errors.
func (s *Scope) Finish(ok bool) error {
	var errs []error
	for i := range s.dbs {
		if err := s.dbs[i].finish(ok); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
