package runtime

import (
	"fmt"
	"slices"
	"sync"

	"github.com/tenantgen/tenantgen/internal/cronspec"
	"github.com/tenantgen/tenantgen/internal/names"
)

// Registry maps task names to their definitions. Workers run only the tasks
// registered with them. Generated RegisterTasks functions fill a Registry;
// registration is explicit, so importing a package has no side effects.
//
// The zero value is an empty Registry ready to use. A Registry is safe for
// concurrent use.
type Registry struct {
	mu    sync.RWMutex
	tasks map[string]Definition
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry {
	return &Registry{tasks: make(map[string]Definition)}
}

// Register adds defs to r. It checks every definition's settings and fails,
// registering none of defs, if one is invalid or its name is already taken.
func (r *Registry) Register(defs ...Definition) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tasks == nil {
		r.tasks = make(map[string]Definition)
	}
	seen := make(map[string]bool, len(defs))
	for _, d := range defs {
		if d == nil {
			return fmt.Errorf("tenantgen: register: nil task definition")
		}
		spec := d.Spec()
		if err := checkSpec(spec); err != nil {
			return fmt.Errorf("tenantgen: register task %q: %w", spec.Name, err)
		}
		if _, dup := r.tasks[spec.Name]; dup || seen[spec.Name] {
			return fmt.Errorf("tenantgen: register: task %q is already registered", spec.Name)
		}
		seen[spec.Name] = true
	}
	for _, d := range defs {
		r.tasks[d.Spec().Name] = d
	}
	return nil
}

// Lookup returns the definition registered under name.
func (r *Registry) Lookup(name string) (Definition, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.tasks[name]
	return d, ok
}

// Names returns the names of the registered tasks, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	list := make([]string, 0, len(r.tasks))
	for name := range r.tasks {
		list = append(list, name)
	}
	slices.Sort(list)
	return list
}

// checkSpec reports the first invalid setting in s.
func checkSpec(s TaskSpec) error {
	if err := names.CheckTask(s.Name); err != nil {
		return err
	}
	if s.Queue != "" {
		if err := names.CheckQueue(s.Queue); err != nil {
			return err
		}
	}
	for i, db := range s.DBs {
		if err := names.CheckDB(db); err != nil {
			return err
		}
		if slices.Contains(s.DBs[:i], db) {
			return fmt.Errorf("database alias %q is listed twice", db)
		}
	}
	switch {
	case s.Retries < NoRetries:
		return fmt.Errorf("invalid retry count %d", s.Retries)
	case s.Timeout < 0:
		return fmt.Errorf("negative timeout %v", s.Timeout)
	case s.Cache < NoCache:
		return fmt.Errorf("invalid cache TTL %v", s.Cache)
	case s.Unique < 0:
		return fmt.Errorf("negative unique window %v", s.Unique)
	case s.TenantConcurrency < 0:
		return fmt.Errorf("negative tenant concurrency %d", s.TenantConcurrency)
	case s.Public && s.Cache > 0:
		return fmt.Errorf("a public task has no tenant to cache; remove its cache setting")
	}
	if err := s.TenantRate.check(); err != nil {
		return fmt.Errorf("tenant %w", err)
	}
	if s.Cron != "" {
		if _, err := cronspec.Parse(s.Cron); err != nil {
			return err
		}
	}
	return nil
}
