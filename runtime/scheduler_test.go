package runtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// fakeClock is a scheduler clock that moves only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// staticTenants is a TenantStore of fixed tenants, for tests that need many
// tenants and no database.
type staticTenants []*runtime.Tenant

func (s staticTenants) Tenant(_ context.Context, id string) (*runtime.Tenant, error) {
	for _, t := range s {
		if t.ID == id {
			return t, nil
		}
	}
	return nil, fmt.Errorf("%w %q", runtime.ErrUnknownTenant, id)
}

func (s staticTenants) Tenants(context.Context) ([]*runtime.Tenant, error) { return s, nil }

// manyTenants returns n ready tenants t00000, t00001, ...
func manyTenants(n int) staticTenants {
	list := make(staticTenants, n)
	for i := range list {
		id := fmt.Sprintf("t%05d", i)
		list[i] = &runtime.Tenant{ID: id, Schema: id, Ready: true}
	}
	return list
}

// t0 is the start of the fake clocks: on a round hour.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// noop is the body of the scheduled test tasks.
func noop(context.Context, runtime.NoArgs) error { return nil }

// registerNoop registers no-argument tasks with the given specs.
func registerNoop(t testing.TB, reg *runtime.Registry, specs ...runtime.TaskSpec) {
	t.Helper()
	for _, spec := range specs {
		if err := reg.Register(runtime.NewTask(spec, noop)); err != nil {
			t.Fatal(err)
		}
	}
}

// schedBundle is a queue bundle with static tenants and a scheduler
// configuration with a fake clock.
type schedBundle struct {
	*queueBundle
	clock *fakeClock
	rdb   redis.UniversalClient
}

func setupScheduler(t testing.TB, tenants staticTenants) *schedBundle {
	t.Helper()
	qb := setupQueue(t, func(c *runtime.Config) { c.Tenants = tenants })
	registerNoop(t, qb.reg,
		runtime.TaskSpec{Name: "report"},
		runtime.TaskSpec{Name: "cleanup", Public: true},
	)
	return &schedBundle{queueBundle: qb, clock: newFakeClock(t0), rdb: qb.cfg.Redis}
}

// config returns a scheduler configuration on the bundle's clock with fast
// leases, adjusted by mod.
func (b *schedBundle) config(mod func(*runtime.SchedulerConfig)) runtime.SchedulerConfig {
	c := runtime.SchedulerConfig{
		Now:      b.clock.Now,
		Poll:     20 * time.Millisecond,
		LeaseTTL: time.Second, // short for failovers, long enough for a tick on a loaded machine
		Grace:    5 * time.Second,
		Spread:   -1,
	}
	if mod != nil {
		mod(&c)
	}
	return c
}

func (b *schedBundle) scheduler(t testing.TB, mod func(*runtime.SchedulerConfig)) *runtime.Scheduler {
	t.Helper()
	s, err := runtime.NewScheduler(b.app, b.config(mod))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// queuedTask is a task found in the default queue.
type queuedTask struct {
	ID, Task, Tenant string
	Due              time.Time // zero: ready now
}

// queued returns the tasks of the default queue, ready and delayed.
func (b *schedBundle) queued(t testing.TB) []queuedTask {
	t.Helper()
	ctx := context.Background()
	base := b.prefix + ":{default}:"
	var list []queuedTask
	decode := func(data string, due time.Time) {
		var env struct {
			ID     string `json:"id"`
			Task   string `json:"task"`
			Tenant string `json:"tenant"`
		}
		if err := json.Unmarshal([]byte(data), &env); err != nil {
			t.Fatal(err)
		}
		list = append(list, queuedTask{env.ID, env.Task, env.Tenant, due})
	}
	// Ready tasks wait in their lanes, delayed ones in the delayed set
	// after their route key (docs/queue.md).
	envelope := func(s string) string { return s[strings.IndexByte(s, '{'):] }
	iter := b.rdb.Scan(ctx, 0, base+"l:*", 1000).Iterator()
	for iter.Next(ctx) {
		elems, err := b.rdb.LRange(ctx, iter.Val(), 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range elems {
			decode(envelope(e), time.Time{})
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	zs, err := b.rdb.ZRangeWithScores(ctx, base+"z", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range zs {
		decode(envelope(z.Member.(string)), time.UnixMilli(int64(z.Score)))
	}
	return list
}

// targets returns "task@tenant" for each queued task, sorted.
func targets(list []queuedTask) []string {
	var out []string
	for _, q := range list {
		out = append(out, q.Task+"@"+q.Tenant)
	}
	slices.Sort(out)
	return out
}

// tick calls s.Tick and fails the test on an error.
func tick(t testing.TB, s *runtime.Scheduler) {
	t.Helper()
	if err := s.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// The peer's scheduler scenarios: entry expansion for all tenants, one
// tenant, and a list plus an all-tenants entry; each send made for its own
// tenant.
func TestSchedulerEntries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		entries []runtime.Entry
		ids     []string
		sent    []string
	}{
		{
			name:    "all tenants",
			entries: []runtime.Entry{{Task: "report", Every: time.Minute}},
			ids:     []string{"report@__all__"},
			sent:    []string{"report@tenant1", "report@tenant2"},
		},
		{
			name:    "one tenant",
			entries: []runtime.Entry{{Name: "r", Task: "report", Every: time.Minute, Tenants: []string{"tenant1"}}},
			ids:     []string{"r@tenant1"},
			sent:    []string{"report@tenant1"},
		},
		{
			name: "a list and all tenants",
			entries: []runtime.Entry{
				{Name: "some", Task: "report", Cron: "* * * * *", Tenants: []string{"tenant1", "tenant2"}},
				{Name: "all", Task: "report", Cron: "* * * * *"},
			},
			ids:  []string{"all@__all__", "some@tenant1,tenant2"},
			sent: []string{"report@tenant1", "report@tenant1", "report@tenant2", "report@tenant2"},
		},
		{
			name:    "public",
			entries: []runtime.Entry{{Task: "cleanup", Every: time.Minute}},
			ids:     []string{"cleanup@public"},
			sent:    []string{"cleanup@"},
		},
		{
			name:    "a tenant that does not exist is skipped",
			entries: []runtime.Entry{{Task: "report", Every: time.Minute, Tenants: []string{"tenant1", "gone"}}},
			ids:     []string{"report@tenant1,gone"},
			sent:    []string{"report@tenant1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupScheduler(t, manyTenantsNamed("tenant1", "tenant2"))
			s := b.scheduler(t, func(c *runtime.SchedulerConfig) { c.Entries = tt.entries })
			if diff := cmp.Diff(tt.ids, s.Entries()); diff != "" {
				t.Errorf("Entries() mismatch (-want +got):\n%s", diff)
			}
			tick(t, s) // first sight: no tick yet
			if got := b.queued(t); len(got) != 0 {
				t.Fatalf("first tick enqueued %v, want nothing", got)
			}
			b.clock.Add(time.Minute)
			tick(t, s)
			if diff := cmp.Diff(tt.sent, targets(b.queued(t))); diff != "" {
				t.Errorf("enqueued tasks mismatch (-want +got):\n%s", diff)
			}
			b.clock.Add(time.Second)
			tick(t, s) // not due again
			if got := len(b.queued(t)); got != len(tt.sent) {
				t.Errorf("after a tick with nothing due, %d tasks are queued, want %d", got, len(tt.sent))
			}
		})
	}
}

// manyTenantsNamed returns ready tenants with the given IDs.
func manyTenantsNamed(ids ...string) staticTenants {
	var list staticTenants
	for _, id := range ids {
		list = append(list, &runtime.Tenant{ID: id, Schema: id, Ready: true})
	}
	return list
}

func TestSchedulerFilter(t *testing.T) {
	t.Parallel()
	tenants := manyTenantsNamed("free1", "paid1", "paid2", "late")
	tenants[1].Attrs = map[string]string{"plan": "paid"}
	tenants[2].Attrs = map[string]string{"plan": "paid"}
	tenants[3].Ready = false
	tenants[3].Attrs = map[string]string{"plan": "paid"}
	tests := []struct {
		name   string
		filter func(context.Context, *runtime.Tenant) bool
		want   []string
	}{
		{"ready tenants", nil, []string{"report@free1", "report@paid1", "report@paid2"}},
		{"paying tenants", func(_ context.Context, t *runtime.Tenant) bool { return t.Attrs["plan"] == "paid" }, []string{"report@paid1", "report@paid2"}},
		{"no tenant", func(context.Context, *runtime.Tenant) bool { return false }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupScheduler(t, tenants)
			s := b.scheduler(t, func(c *runtime.SchedulerConfig) {
				c.Entries = []runtime.Entry{{Task: "report", Every: time.Minute}}
				c.Filter = tt.filter
			})
			tick(t, s)
			b.clock.Add(time.Minute)
			tick(t, s)
			if diff := cmp.Diff(tt.want, targets(b.queued(t))); diff != "" {
				t.Errorf("enqueued tasks mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchedulerInvalidEntries(t *testing.T) {
	t.Parallel()
	b := setupScheduler(t, manyTenantsNamed("tenant1"))
	tests := []struct {
		name  string
		entry runtime.Entry
		want  string
	}{
		{"unknown task", runtime.Entry{Task: "nope", Every: time.Minute}, `task "nope" is not registered`},
		{"no timing", runtime.Entry{Task: "report"}, "shorter than one second"},
		{"both timings", runtime.Entry{Task: "report", Every: time.Minute, Cron: "@hourly"}, "not both"},
		{"bad cron", runtime.Entry{Task: "report", Cron: "*/5 * * *"}, `invalid cron spec "*/5 * * *"`},
		{"at every", runtime.Entry{Task: "report", Cron: "@every 5m"}, "@every is not supported"},
		{"public with tenants", runtime.Entry{Task: "cleanup", Every: time.Minute, Tenants: []string{"tenant1"}}, "is public"},
		{"name with @", runtime.Entry{Name: "a@b", Task: "report", Every: time.Minute}, "must not contain @"},
		{"bad args", runtime.Entry{Task: "report", Every: time.Minute, Args: []byte("{")}, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := runtime.NewScheduler(b.app, b.config(func(c *runtime.SchedulerConfig) { c.Entries = []runtime.Entry{tt.entry} }))
			wantError(t, err, tt.want)
		})
	}
}

func TestSchedulerCronTask(t *testing.T) {
	t.Parallel()
	b := setupScheduler(t, manyTenantsNamed("tenant1", "tenant2"))
	registerNoop(t, b.reg,
		runtime.TaskSpec{Name: "digest", Cron: "*/5 * * * *"},
		runtime.TaskSpec{Name: "rates", Cron: "@hourly", Public: true},
	)
	if err := b.reg.Register(runtime.NewTask(runtime.TaskSpec{Name: "bad", Cron: "*/5"}, noop)); err == nil {
		t.Error("registering a task with cron spec \"*/5\" succeeded, want an error")
	}
	s := b.scheduler(t, nil)
	if diff := cmp.Diff([]string{"digest@__all__", "rates@public"}, s.Entries()); diff != "" {
		t.Errorf("Entries() mismatch (-want +got):\n%s", diff)
	}
	tick(t, s)
	b.clock.Add(5 * time.Minute)
	tick(t, s)
	if diff := cmp.Diff([]string{"digest@tenant1", "digest@tenant2"}, targets(b.queued(t))); diff != "" {
		t.Errorf("enqueued tasks mismatch (-want +got):\n%s", diff)
	}
	b.clock.Add(55 * time.Minute)
	tick(t, s)
	want := []string{"digest@tenant1", "digest@tenant1", "digest@tenant2", "digest@tenant2", "rates@"}
	if diff := cmp.Diff(want, targets(b.queued(t))); diff != "" {
		t.Errorf("enqueued tasks mismatch (-want +got):\n%s", diff)
	}
}

func TestSchedulerMissedTicks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		policy runtime.MissedPolicy
		down   time.Duration // how long no scheduler ran
		want   int           // tasks enqueued when one runs again
	}{
		{runtime.MissedSkip, time.Minute, 1},      // on time: not missed
		{runtime.MissedSkip, 10 * time.Minute, 1}, // the tick of now is on time
		{runtime.MissedSkip, 10*time.Minute + 30*time.Second, 0},
		{runtime.MissedCatchUp, 10 * time.Minute, 1},
		{runtime.MissedCatchUp, 10*time.Minute + 30*time.Second, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.policy, tt.down), func(t *testing.T) {
			t.Parallel()
			b := setupScheduler(t, nil)
			s := b.scheduler(t, func(c *runtime.SchedulerConfig) {
				c.Entries = []runtime.Entry{{Task: "cleanup", Every: time.Minute}}
				c.Missed = tt.policy
			})
			tick(t, s)
			b.clock.Add(tt.down)
			tick(t, s)
			if got := len(b.queued(t)); got != tt.want {
				t.Errorf("%d tasks enqueued after %v down, want %d", got, tt.down, tt.want)
			}
			// Either way the entry is back on schedule at its next tick.
			b.clock.Add(time.Minute - tt.down%time.Minute)
			tick(t, s)
			if got := len(b.queued(t)); got != tt.want+1 {
				t.Errorf("%d tasks enqueued after the next tick, want %d", got, tt.want+1)
			}
		})
	}
}

// Two schedulers, and a leader killed between enqueueing a tick and
// recording it: every tick is enqueued exactly once for every tenant.
func TestSchedulerExactlyOnceAcrossFailover(t *testing.T) {
	t.Parallel()
	const n = 50
	b := setupScheduler(t, manyTenants(n))
	entries := []runtime.Entry{{Task: "report", Every: time.Minute}}
	mod := func(c *runtime.SchedulerConfig) { c.Entries = entries }
	a, c := b.scheduler(t, mod), b.scheduler(t, mod)
	tick(t, a)
	tick(t, c)
	if !a.Leader() || c.Leader() {
		t.Fatalf("Leader() = %v, %v; want the first scheduler to lead", a.Leader(), c.Leader())
	}

	// Tick 1: the leader enqueues, then dies before recording it.
	b.clock.Add(time.Minute)
	runtime.CrashAfterEnqueue(a)
	if err := a.Tick(context.Background()); err == nil {
		t.Fatal("the crashing tick succeeded")
	}
	if got := len(b.queued(t)); got != n {
		t.Fatalf("%d tasks queued after the crashed tick, want %d", got, n)
	}
	// The other scheduler takes over once the lease expires and enqueues
	// tick 1 again: nothing new.
	testenv.WaitFor(t, "the second scheduler to lead", func() bool {
		tick(t, c)
		return c.Leader()
	})
	if got := len(b.queued(t)); got != n {
		t.Fatalf("%d tasks queued after the failover, want %d", got, n)
	}

	// Ticks 2 to 5 with both schedulers ticking concurrently.
	for range 4 {
		b.clock.Add(time.Minute)
		var wg sync.WaitGroup
		for _, s := range []*runtime.Scheduler{a, c, c} {
			wg.Go(func() { s.Tick(context.Background()) })
		}
		wg.Wait()
	}
	list := b.queued(t)
	if len(list) != 5*n {
		t.Errorf("%d tasks queued for 5 ticks of %d tenants, want %d", len(list), n, 5*n)
	}
	ids := map[string]int{}
	perTenant := map[string]int{}
	for _, q := range list {
		ids[q.ID]++
		perTenant[q.Tenant]++
	}
	for id, k := range ids {
		if k > 1 {
			t.Errorf("task %s queued %d times", id, k)
		}
	}
	for tenant, k := range perTenant {
		if k != 5 {
			t.Errorf("tenant %s got %d tasks for 5 ticks", tenant, k)
		}
	}
}

// A deposed leader that comes back does not enqueue.
func TestSchedulerDeposedLeader(t *testing.T) {
	t.Parallel()
	b := setupScheduler(t, nil)
	entries := []runtime.Entry{{Task: "cleanup", Every: time.Minute}}
	mod := func(c *runtime.SchedulerConfig) { c.Entries = entries }
	a, c := b.scheduler(t, mod), b.scheduler(t, mod)
	tick(t, a)
	testenv.WaitFor(t, "the lease to expire and the second scheduler to lead", func() bool {
		tick(t, c)
		return c.Leader()
	})
	b.clock.Add(time.Minute)
	tick(t, a)
	if a.Leader() {
		t.Fatal("the old leader leads again while the new one holds the lease")
	}
	if got := len(b.queued(t)); got != 0 {
		t.Fatalf("the deposed leader enqueued %d tasks", got)
	}
	tick(t, c)
	if got := len(b.queued(t)); got != 1 {
		t.Fatalf("the leader enqueued %d tasks, want 1", got)
	}
}

// Fan-out to 10,000 tenants spreads over the window with stable offsets.
func TestSchedulerSpread(t *testing.T) {
	t.Parallel()
	const n, window = 10_000, 10 * time.Minute
	b := setupScheduler(t, manyTenants(n))
	s := b.scheduler(t, func(c *runtime.SchedulerConfig) {
		c.Entries = []runtime.Entry{{Task: "report", Every: time.Hour, Spread: window}}
		c.LeaseTTL, c.Grace = 5*time.Second, 10*time.Second
	})
	tick(t, s)
	b.clock.Add(time.Hour)
	start := time.Now()
	tick(t, s)
	end := time.Now()
	list := b.queued(t)
	if len(list) != n {
		t.Fatalf("%d tasks queued, want %d", len(list), n)
	}
	perSecond := map[int64]int{}
	offsets := map[string]time.Duration{}
	for _, q := range list {
		if q.Due.IsZero() {
			continue // an offset under a millisecond
		}
		if q.Due.Before(start) || q.Due.After(end.Add(window)) {
			t.Fatalf("task of %s due at %v, outside [%v, %v]", q.Tenant, q.Due, start, end.Add(window))
		}
		perSecond[q.Due.Unix()]++
		offsets[q.Tenant] = q.Due.Sub(start)
	}
	most := 0
	for _, k := range perSecond {
		most = max(most, k)
	}
	// 10,000 over 600 seconds is about 17 a second.
	if most > 60 {
		t.Errorf("%d tasks are due in the same second; want them spread over %v", most, window)
	}
	if len(perSecond) < 500 {
		t.Errorf("tasks are due in only %d distinct seconds of %v", len(perSecond), window)
	}

	// The next tick gives every tenant the same offset.
	if _, err := b.rdb.Del(context.Background(), b.prefix+":{default}:z").Result(); err != nil {
		t.Fatal(err)
	}
	b.clock.Add(time.Hour)
	start2 := time.Now()
	tick(t, s)
	drift := end.Sub(start) + time.Since(start2) + time.Millisecond
	for _, q := range b.queued(t) {
		if q.Due.IsZero() {
			continue
		}
		if d := q.Due.Sub(start2) - offsets[q.Tenant]; d < -drift || d > drift {
			t.Fatalf("tenant %s: offset moved by %v between ticks", q.Tenant, d)
		}
	}
}

// New tenants are picked up without a restart.
func TestSchedulerNewTenants(t *testing.T) {
	t.Parallel()
	store := &growingTenants{list: manyTenantsNamed("tenant1")}
	qb := setupQueue(t, func(c *runtime.Config) { c.Tenants = store })
	registerNoop(t, qb.reg, runtime.TaskSpec{Name: "report"})
	b := &schedBundle{queueBundle: qb, clock: newFakeClock(t0), rdb: qb.cfg.Redis}
	s := b.scheduler(t, func(c *runtime.SchedulerConfig) { c.Entries = []runtime.Entry{{Task: "report", Every: time.Minute}} })
	tick(t, s)
	b.clock.Add(time.Minute)
	tick(t, s)
	store.add(&runtime.Tenant{ID: "tenant2", Schema: "tenant2", Ready: true})
	b.clock.Add(time.Minute)
	tick(t, s)
	want := []string{"report@tenant1", "report@tenant1", "report@tenant2"}
	if diff := cmp.Diff(want, targets(b.queued(t))); diff != "" {
		t.Errorf("enqueued tasks mismatch (-want +got):\n%s", diff)
	}
}

// growingTenants is a TenantStore that tenants can be added to.
type growingTenants struct {
	mu   sync.Mutex
	list staticTenants
}

func (g *growingTenants) add(t *runtime.Tenant) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.list = append(g.list, t)
	sort.Slice(g.list, func(i, j int) bool { return g.list[i].ID < g.list[j].ID })
}

func (g *growingTenants) Tenant(ctx context.Context, id string) (*runtime.Tenant, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.list.Tenant(ctx, id)
}

func (g *growingTenants) Tenants(ctx context.Context) ([]*runtime.Tenant, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.list), nil
}

// App.Run runs the scheduler, and each fan-out task runs in its own
// tenant's schema.
func TestSchedulerInAppRun(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(t0)
	task := runtime.NewTask(runtime.TaskSpec{Name: "bump"}, func(ctx context.Context, _ runtime.NoArgs) error {
		if _, ok := runtime.TaskTenant(ctx); !ok {
			return fmt.Errorf("no tenant")
		}
		return bump(ctx)
	})
	tb := setupTenancy(t, []string{"acme", "globex"}, func(c *runtime.Config) {
		// Before Open, which checks the schedule against the registry.
		if err := c.Registry.Register(task); err != nil {
			t.Fatal(err)
		}
		c.Schedule = runtime.SchedulerConfig{
			Entries:  []runtime.Entry{{Task: "bump", Every: time.Minute}},
			Now:      clock.Now,
			Poll:     10 * time.Millisecond,
			LeaseTTL: 300 * time.Millisecond,
			Grace:    5 * time.Second,
			Spread:   -1,
		}
	})
	tb.run(t)
	state := tb.prefix + ":{sched}:state"
	testenv.WaitFor(t, "the scheduler to see its entry", func() bool {
		n, _ := tb.cfg.Redis.HLen(context.Background(), state).Result()
		return n == 1
	})
	clock.Add(time.Minute)
	testenv.WaitFor(t, "each tenant's counter to reach 1", func() bool {
		return tb.counter(t, "acme") == 1 && tb.counter(t, "globex") == 1
	})
}

func TestSchedulerConfigErrors(t *testing.T) {
	t.Parallel()
	b := setupScheduler(t, nil)
	tests := []struct {
		name string
		mod  func(*runtime.SchedulerConfig)
		want string
	}{
		{"lease too short", func(c *runtime.SchedulerConfig) { c.LeaseTTL = c.Poll }, "LeaseTTL"},
		{"grace too short", func(c *runtime.SchedulerConfig) { c.Grace = c.LeaseTTL }, "Grace"},
		{"bad policy", func(c *runtime.SchedulerConfig) { c.Missed = 7 }, "MissedPolicy(7)"},
		{"tables without database", func(c *runtime.SchedulerConfig) { c.Tables = true }, `database "default"`},
		{"twice", func(c *runtime.SchedulerConfig) {
			c.Entries = []runtime.Entry{{Task: "cleanup", Every: time.Minute}, {Task: "cleanup", Cron: "@daily"}}
		}, `"cleanup@public" is declared twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := runtime.NewScheduler(b.app, b.config(tt.mod))
			wantError(t, err, tt.want)
		})
	}
	if !strings.Contains(runtime.MissedCatchUp.String(), "CatchUp") {
		t.Error(runtime.MissedCatchUp.String())
	}
}
