package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// countingTableStore is the default tenant store, counting lookups of one
// tenant: a refused task must be refused before any.
type countingTableStore struct {
	*runtime.TableStore
	lookups atomic.Int64
}

func (s *countingTableStore) Tenant(ctx context.Context, id string) (*runtime.Tenant, error) {
	s.lookups.Add(1)
	return s.TableStore.Tenant(ctx, id)
}

// countLookups makes the App's tenant store a countingTableStore on a pool
// of its own, returned through store.
func countLookups(t testing.TB, store **countingTableStore) func(*runtime.Config) {
	url := testenv.DatabaseURL(t)
	return func(c *runtime.Config) {
		pool, err := pgxpool.New(context.Background(), url+sep(url)+"pool_max_conns=2")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		*store = &countingTableStore{TableStore: runtime.NewTableStore(pool, runtime.TenantTable{Schema: c.SharedSchema})}
		c.Tenants = *store
	}
}

// enqueuer opens an App that only enqueues, on the queues of q, signing
// with keys.
func enqueuer(t testing.TB, q *queueBundle, keys []runtime.SigningKey) *runtime.App {
	t.Helper()
	app, err := runtime.Open(t.Context(), runtime.Config{
		Redis:       q.cfg.Redis,
		Prefix:      q.prefix,
		SigningKeys: keys,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return app
}

// tamper rewrites, in the default queue's lanes, the envelope of every
// ready task whose encoding contains match, replacing old with new, in
// place, as an attacker with write access to Redis could.
func tamper(t testing.TB, q *queueBundle, match, old, new string) {
	t.Helper()
	ctx := t.Context()
	rdb := q.cfg.Redis
	n := 0
	iter := rdb.Scan(ctx, 0, q.prefix+":{default}:l:*", 1000).Iterator()
	for iter.Next(ctx) {
		lane := iter.Val()
		elems, err := rdb.LRange(ctx, lane, 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range elems {
			if !strings.Contains(e, match) {
				continue
			}
			forged := strings.Replace(e, old, new, 1)
			if forged == e {
				t.Fatalf("envelope %s has no %s", e, old)
			}
			if err := rdb.LSet(ctx, lane, int64(i), forged).Err(); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("tampered with %d entries, want 1", n)
	}
}

type signArgs struct {
	Case string `json:"case"`
}

func TestSignedTasks(t *testing.T) {
	t.Parallel()
	secret := func(c byte) []byte { return bytes.Repeat([]byte{c}, 32) }
	current := runtime.SigningKey{ID: "k2", Secret: secret('n')}
	old := runtime.SigningKey{ID: "k1", Secret: secret('o')}
	var store *countingTableStore
	tb := setupTenancy(t, []string{"acme", "globex", "initech", "hooli"}, func(c *runtime.Config) {
		smallPool(t, 4)(c)
		countLookups(t, &store)(c)
		// Rotation: the new key signs, both verify.
		c.SigningKeys = []runtime.SigningKey{current, old}
	})
	var mu sync.Mutex
	ran := map[string]string{} // case to the tenant it ran for
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.signed", Retries: 3}, func(ctx context.Context, a signArgs) error {
		tn, _ := runtime.TaskTenant(ctx)
		mu.Lock()
		ran[a.Case] = tn.ID
		mu.Unlock()
		return bump(ctx)
	})
	if err := tb.reg.Register(task); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name   string
		by     *runtime.App // the App that enqueues
		tenant string
		tamper bool   // rewrite the tenant to globex in Redis
		refuse string // the dead task's error contains this; "" if it runs
	}{
		{name: "round trip", by: tb.app, tenant: "acme"},
		{name: "signed with the old key", by: enqueuer(t, tb.queueBundle, []runtime.SigningKey{old}), tenant: "hooli"},
		{name: "unsigned", by: enqueuer(t, tb.queueBundle, nil), tenant: "initech", refuse: "signature missing"},
		{name: "another secret, same key ID", by: enqueuer(t, tb.queueBundle, []runtime.SigningKey{{ID: "k2", Secret: secret('x')}}), tenant: "initech", refuse: `does not match: the task was altered or signed with another secret for key "k2"`},
		{name: "unknown key", by: enqueuer(t, tb.queueBundle, []runtime.SigningKey{{ID: "k9", Secret: secret('n')}}), tenant: "initech", refuse: `unknown key "k9"`},
		{name: "tenant rewritten in Redis", by: tb.app, tenant: "initech", tamper: true, refuse: `does not match: the task was altered or signed with another secret for key "k2"`},
	}
	wantRan := map[string]string{}
	wantDead := map[string]string{} // case to tenant
	for _, tc := range cases {
		if _, err := task.Enqueue(t.Context(), tc.by, signArgs{Case: tc.name}, runtime.ForTenant(tc.tenant)); err != nil {
			t.Fatal(err)
		}
		switch {
		case tc.tamper:
			tamper(t, tb.queueBundle, fmt.Sprintf(`"case":%q`, tc.name), `"tenant":"initech"`, `"tenant":"globex"`)
			wantDead[tc.name] = "globex"
		case tc.refuse != "":
			wantDead[tc.name] = tc.tenant
		default:
			wantRan[tc.name] = tc.tenant
		}
	}
	before := store.lookups.Load()
	tb.run(t)
	testenv.WaitFor(t, "every task to run or die", func() bool {
		st, err := tb.app.Stats(t.Context(), "default")
		mu.Lock()
		defer mu.Unlock()
		return err == nil && st.Ready+st.Running+st.Scheduled == 0 && len(ran)+int(st.Dead) == len(cases)
	})

	dead, err := tb.app.DeadTasks(t.Context(), "default", 100)
	if err != nil {
		t.Fatal(err)
	}
	gotDead := map[string]string{}
	for _, d := range dead {
		var a signArgs
		if err := json.Unmarshal(d.Args, &a); err != nil {
			t.Fatal(err)
		}
		gotDead[a.Case] = d.Tenant
		for _, tc := range cases {
			if tc.name == a.Case && !strings.Contains(d.Error, tc.refuse) {
				t.Errorf("%s: refused with %q, want an error containing %q", tc.name, d.Error, tc.refuse)
			}
		}
	}
	if diff := cmp.Diff(wantDead, gotDead); diff != "" {
		t.Errorf("refused tasks, with their tenant (-want +got):\n%s", diff)
	}
	mu.Lock()
	if diff := cmp.Diff(wantRan, ran); diff != "" {
		t.Errorf("tasks run, with their tenant (-want +got):\n%s", diff)
	}
	mu.Unlock()
	// Refused before the lookup: one lookup per task that ran.
	if got := store.lookups.Load() - before; got != int64(len(wantRan)) {
		t.Errorf("%d tenant lookups, want %d: a refused task reached the tenant store", got, len(wantRan))
	}
	want := map[string]int{"acme": 1, "hooli": 1, "globex": 0, "initech": 0}
	got := map[string]int{}
	for id := range want {
		got[id] = tb.counter(t, id)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counters (-want +got):\n%s", diff)
	}
}
