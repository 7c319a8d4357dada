package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// stressArgs are the arguments of a stress task: its sequence number, which
// decides its tenant and whether its first attempt fails or panics.
type stressArgs struct {
	Seq int `json:"seq"`
}

// stressTenants returns n tenant IDs, t00, t01 and so on.
func stressTenants(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("t%02d", i)
	}
	return ids
}

// stressFault says what the first attempt of task seq does besides its
// update: nothing, fail (1 in 7) or panic (another 1 in 7).
func stressFault(seq int) string {
	switch seq % 7 {
	case 3:
		return "fail"
	case 5:
		return "panic"
	}
	return ""
}

// smallPool makes the App's only database "default", with a pool of at most
// conns connections.
func smallPool(t testing.TB, conns int) func(*runtime.Config) {
	url := testenv.DatabaseURL(t)
	return func(c *runtime.Config) {
		c.Databases = map[string]string{"default": fmt.Sprintf("%s%spool_max_conns=%d", url, sep(url), conns)}
	}
}

// counters returns the items counter of every tenant of tb, in one query.
func (tb *tenancyBundle) counters(t testing.TB) map[string]int {
	t.Helper()
	var parts []string
	for id, schema := range tb.schemas {
		// Tenant IDs cannot hold quotes (names.CheckTenant).
		parts = append(parts, fmt.Sprintf("select '%s', n from %s.items where id = 1", id, pgx.Identifier{schema}.Sanitize()))
	}
	q := strings.Join(parts, " union all ")
	rows, err := tb.pg.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		got[id] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// checkPoolClean acquires every connection that pool may hold, all at once,
// and checks that each is on the shared schema alone: no task left its
// tenant's search_path on a pooled connection, and none kept a connection.
func checkPoolClean(t testing.TB, pool *pgxpool.Pool, shared string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	size := int(pool.Config().MaxConns)
	conns := make([]*pgxpool.Conn, 0, size)
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	for range size {
		c, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatalf("acquire connection %d of %d: %v (does a finished task still hold one?)", len(conns)+1, size, err)
		}
		conns = append(conns, c)
	}
	want := make([]string, size)
	got := make([]string, size)
	for i, c := range conns {
		want[i] = shared
		if err := c.QueryRow(ctx, "show search_path").Scan(&got[i]); err != nil {
			t.Fatalf("connection %d: show search_path: %v", i, err)
		}
		got[i] = unquote(got[i])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("search_path of every pooled connection (-want +got):\n%s", diff)
	}
}

// TestTenancyStress runs 10,000 tasks (2,000 with -short) interleaving 50
// tenants on 16 handlers sharing a pool of 4 connections. The first attempt
// of 1 task in 7 fails and of another 1 in 7 panics: in DBTransaction mode
// after its update, which must roll back, and in DBStatement mode before
// it. Every tenant's counter must end exactly at its number of tasks, and
// no pooled connection may be left on a tenant's schema.
func TestTenancyStress(t *testing.T) {
	t.Parallel()
	n := 10_000
	if testing.Short() {
		n = 2_000
	}
	for _, tc := range stressCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tenancyStress(t, directDB(t), n, tc)
		})
	}
}

// stressCase is a DB mode of TestTenancyStress, and where its tasks fail.
type stressCase struct {
	name       string
	mode       runtime.DBMode
	faultAfter bool // inject the fault after the update, not before
}

var stressCases = []stressCase{
	{name: "DBStatement/fault-before-update", mode: runtime.DBStatement},
	{name: "DBTransaction/fault-after-update", mode: runtime.DBTransaction, faultAfter: true},
}

// tenancyStress is TestTenancyStress with n tasks on db, in tc's mode.
func tenancyStress(t *testing.T, db tenancyDB, n int, tc stressCase) {
	t.Helper()
	const numTenants = 50
	ids := stressTenants(numTenants)
	tb := setupTenancy(t, ids, func(c *runtime.Config) {
		c.Databases = map[string]string{"default": db.url + sep(db.url) + "pool_max_conns=4"}
		c.DBMode = tc.mode
		c.Concurrency = 16
	})
	var succeeded atomic.Int64
	var mu sync.Mutex
	var wrong []string // tasks that ran for another tenant than theirs
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.stress", Retries: 3}, func(ctx context.Context, a stressArgs) error {
		job, _ := runtime.JobFrom(ctx)
		if tn, ok := runtime.TaskTenant(ctx); !ok || tn.ID != ids[a.Seq%numTenants] {
			mu.Lock()
			wrong = append(wrong, fmt.Sprintf("task %d ran for %v", a.Seq, tn))
			mu.Unlock()
		}
		fault := ""
		if job.Attempt == 1 {
			fault = stressFault(a.Seq)
		}
		inject := func() error {
			switch fault {
			case "fail":
				return fmt.Errorf("injected failure of task %d", a.Seq)
			case "panic":
				panic(fmt.Sprintf("injected panic of task %d", a.Seq))
			}
			return nil
		}
		if !tc.faultAfter {
			if err := inject(); err != nil {
				return err
			}
		}
		if err := bump(ctx); err != nil {
			return err
		}
		if tc.faultAfter {
			if err := inject(); err != nil {
				return err
			}
		}
		succeeded.Add(1)
		return nil
	})
	if err := tb.reg.Register(task); err != nil {
		t.Fatal(err)
	}

	want := map[string]int{}
	faults := 0
	reqs := make([]runtime.Request, 0, n)
	for seq := range n {
		id := ids[seq%numTenants]
		want[id]++
		if stressFault(seq) != "" {
			faults++
		}
		req, err := task.NewRequest(t.Context(), stressArgs{Seq: seq}, runtime.ForTenant(id))
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, req)
	}
	for len(reqs) > 0 {
		k := min(1000, len(reqs))
		if _, err := tb.app.EnqueueMany(t.Context(), reqs[:k]); err != nil {
			t.Fatal(err)
		}
		reqs = reqs[k:]
	}

	start := time.Now()
	stop := tb.run(t)
	// So many tasks can take longer than testenv.Timeout under -race
	// on a small machine: wait for progress, each step within the
	// deadline, so that only a stall fails the test.
	for done := int64(0); done < int64(n); {
		prev := done
		testenv.WaitFor(t, fmt.Sprintf("more than %d of %d tasks to succeed", prev, n), func() bool {
			if st, err := tb.app.Stats(t.Context(), "default"); err == nil && st.Dead > 0 {
				t.Fatalf("%d tasks died; errors by tenant: %v", st.Dead, tb.deadErrors(t))
			}
			done = succeeded.Load()
			return done > prev || done >= int64(n)
		})
	}
	// In DBTransaction mode the commit follows the task's return:
	// the queue is empty once every task has committed and been
	// acknowledged.
	testenv.WaitFor(t, "an empty queue", func() bool {
		st, err := tb.app.Stats(t.Context(), "default")
		return err == nil && st == runtime.QueueStats{}
	})
	t.Logf("%d tasks (%d first attempts failed or panicked) in %v", n, faults, time.Since(start).Round(time.Millisecond))
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := succeeded.Load(); got != int64(n) {
		t.Errorf("%d tasks succeeded, want %d", got, n)
	}
	mu.Lock()
	if len(wrong) > 0 {
		t.Errorf("%d tasks ran for the wrong tenant, such as %s", len(wrong), wrong[0])
	}
	mu.Unlock()
	if diff := cmp.Diff(want, tb.counters(t)); diff != "" {
		t.Errorf("counters by tenant (-want +got):\n%s", diff)
	}
	pool, _ := tb.app.Pool("default")
	checkPoolClean(t, pool, db.outsidePath(t, tb))
}
