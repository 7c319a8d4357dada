package runtime

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantgen/tenantgen/internal/names"
	"github.com/tenantgen/tenantgen/internal/tenantdb"
)

// openDatabases opens the pools of cfg.Databases, collects them with
// cfg.Pools, and sets up the tenant store and its cache.
func (a *App) openDatabases(ctx context.Context) error {
	ps, err := tenantdb.Open(ctx, tenantdb.PoolConfig{
		URLs:         a.cfg.Databases,
		Given:        a.cfg.Pools,
		MinConns:     a.cfg.Concurrency,
		SharedSchema: a.cfg.SharedSchema,
	})
	if err != nil {
		return err
	}
	for _, n := range ps.Notes {
		a.cfg.Logger.Info("database adapted to a connection pooler", "db", n.Alias, "detail", n.Msg)
	}
	a.dbs = ps
	a.tenants = a.cfg.Tenants
	if p := a.dbs.All[a.cfg.TenantsDB]; a.tenants == nil && p != nil {
		a.tenants = NewTableStore(p, a.cfg.TenantTable)
	}
	if a.tenants != nil {
		a.cache = newTenantCache(a.tenants, a.cfg.UnknownTenantCache)
	}
	return nil
}

// tenantsPool returns the pool of Config.TenantsDB, which op needs.
func (a *App) tenantsPool(op string) (*pgxpool.Pool, error) {
	p, ok := a.dbs.All[a.cfg.TenantsDB]
	if !ok {
		return nil, fmt.Errorf("tenantgen: %s needs the tenants database %q (Config.TenantsDB) in Config.Databases or Config.Pools", op, a.cfg.TenantsDB)
	}
	return p, nil
}

// Pool returns the pool of the database with the given alias, for code that
// runs outside tasks. It sees the shared schema only: pools that the App
// opened from Config.Databases start with search_path set to it, except
// behind a pooler that refuses that (PgBouncer), where they see the
// server's default search_path (docs/pgbouncer.md).
func (a *App) Pool(alias string) (*pgxpool.Pool, bool) {
	p, ok := a.dbs.All[alias]
	return p, ok
}

// Tenancy is the middleware that a worker runs first for every task: it
// resolves the job's tenant, refuses to run a task for a tenant that is
// unknown, not ready or invalid, and gives the task its databases switched
// to the tenant's schema (see DB and TaskTenant). What it cannot do, it
// fails permanently: a task never runs in another schema than its
// tenant's.
//
// Workers apply it themselves. Use it to run tasks inline against real
// databases in tests, with tenanttest.Middleware(app.Tenancy).
func (a *App) Tenancy(next Handler) Handler {
	return HandlerFunc(func(ctx context.Context, job *Job) (err error) {
		var tenant *Tenant
		if !job.Spec.Public {
			if tenant, err = a.resolve(ctx, job); err != nil {
				return err
			}
		}
		if tenant == nil && job.Tenant != "" {
			// Only a public task gets here with a tenant: it stays
			// without one.
			return Permanent(fmt.Errorf("public task %q was enqueued for tenant %q; public tasks run without a tenant", job.Name, job.Tenant))
		}
		schema := ""
		if tenant != nil {
			schema = tenant.Schema
			ctx = WithTenant(ctx, tenant.ID)
		}
		s := newScope(a, tenant, tenantdb.NewScope(tenantdb.ScopeConfig{
			Task:      job.Name,
			Declared:  a.cfg.dbsOf(job.Spec),
			Path:      a.paths.For(schema),
			PerTask:   a.cfg.DBMode == DBTransaction,
			Pools:     a.dbs.All,
			ExecModes: a.dbs.ExecModes,
		}))
		ctx = context.WithValue(ctx, scopeKey{}, s)
		ok := false
		defer func() {
			// Runs on panic too: the transaction of DBTransaction rolls
			// back and every connection goes back clean.
			if ferr := s.dbs.Finish(ok); ferr != nil && err == nil {
				err = ferr
			}
		}()
		err = next.Handle(ctx, job)
		ok = err == nil && ctx.Err() == nil
		return err
	})
}

// AppFrom returns the App whose worker runs the task with ctx, so that a
// task can enqueue through it, e.g. with EnqueueEachTenant. It reports false
// outside tasks.
func AppFrom(ctx context.Context) (*App, bool) {
	s := scopeFrom(ctx)
	if s == nil {
		return nil, false
	}
	return s.app, true
}

// Tenant returns the tenant with the given ID, through the worker's cache
// with the TTL of Config.TenantCache. The error wraps ErrUnknownTenant if
// there is none. Use it to check a tenant at the edge, e.g. in an HTTP
// middleware before WithTenant.
func (a *App) Tenant(ctx context.Context, id string) (*Tenant, error) {
	if err := names.CheckTenant(id); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnknownTenant, err)
	}
	if a.cache == nil {
		return nil, errors.New("tenantgen: App.Tenant needs a tenant store: " + a.cfg.needStore())
	}
	return a.cache.Get(ctx, id, a.cfg.TenantCache)
}

// resolve returns the tenant of job, checked, or a permanent error.
func (a *App) resolve(ctx context.Context, job *Job) (*Tenant, error) {
	refuse := func(reason string, err error) error {
		return Permanent(&TenantError{ID: job.Tenant, Reason: reason, Err: err})
	}
	if job.Tenant == "" {
		return nil, refuse("the task carries no tenant", nil)
	}
	if err := names.CheckTenant(job.Tenant); err != nil {
		return nil, refuse("invalid ID", err)
	}
	if a.cache == nil {
		// A queue without databases: there is no schema to switch, and
		// nothing to check the ID against.
		return &Tenant{ID: job.Tenant, Ready: true}, nil
	}
	ttl := job.Spec.Cache
	switch ttl {
	case 0:
		ttl = a.cfg.TenantCache
	case NoCache:
		ttl = 0
	}
	t, err := a.cache.Get(ctx, job.Tenant, ttl)
	var te *TenantError
	switch {
	case errors.Is(err, ErrUnknownTenant):
		return nil, refuse("unknown tenant (deleted, or never created)", nil)
	case errors.As(err, &te):
		return nil, Permanent(err)
	case err != nil:
		return nil, err // the store is unreachable: retry later
	case t == nil || t.ID != job.Tenant:
		return nil, refuse("the tenant store returned another tenant", nil)
	case !t.Ready:
		return nil, refuse("not ready (still being provisioned or migrated, or disabled)", nil)
	}
	if err := names.CheckSchema(t.Schema); err != nil {
		return nil, refuse("invalid schema", err)
	}
	if t.Schema == a.cfg.SharedSchema {
		return nil, refuse(fmt.Sprintf("its schema is the shared schema %q", t.Schema), nil)
	}
	return t, nil
}
