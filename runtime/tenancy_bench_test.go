package runtime_test

// BenchmarkTenantUpdate measures the tenant workload: each task makes its
// tenant's schema current and updates one row there, through
// runtime.DB(ctx, "default").Exec, with 50 tenants interleaved and 16
// concurrent handlers. Documented invocation (2-core machine, loopback
// PostgreSQL 15 and Redis 7):
//
//	go test -run '^$' -bench TenantUpdate -benchtime 20000x -count 3 ./runtime/
//
// Every task is enqueued before the timer starts; the timer covers starting
// the worker and working the backlog. The custom metrics are:
//
//	tasks/s     tasks per second
//	trips/task  database round trips per task, counted by a pgx tracer on
//	            the pool given through Config.Pools: every Exec, Query and
//	            QueryRow (BEGIN and COMMIT included), every batch, and every
//	            explicit Prepare, on every connection of the pool, including
//	            the tenant lookups of the default TableStore, which shares
//	            it. A batch counts once: pgx sends it in one round trip once
//	            its statements are prepared. Redis round trips are not
//	            counted (see BenchmarkEndToEnd).
//
// The sub-benchmarks are the DB mode and the form of the statement: "$1",
// update items set n = n + 1 where id = $1, or "literal", the same with
// the ID written in the SQL and no arguments.

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// tripCounter is a pgx tracer that counts the round trips of a pool.
type tripCounter struct {
	queries, batches, prepares atomic.Int64
}

func (c *tripCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.queries.Add(1)
	return ctx
}

func (c *tripCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (c *tripCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.batches.Add(1)
	return ctx
}

func (c *tripCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *tripCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

func (c *tripCounter) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	c.prepares.Add(1)
	return ctx
}

func (c *tripCounter) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}

func (c *tripCounter) reset() {
	c.queries.Store(0)
	c.batches.Store(0)
	c.prepares.Store(0)
}

func (c *tripCounter) total() int64 {
	return c.queries.Load() + c.batches.Load() + c.prepares.Load()
}

func BenchmarkTenantUpdate(b *testing.B) {
	const (
		numTenants  = 50
		concurrency = 16
	)
	for _, bc := range []struct {
		name  string
		mode  runtime.DBMode
		sql   string
		args  []any
		cache time.Duration // Config.TenantCache
	}{
		{"DBStatement/$1", runtime.DBStatement, "update items set n = n + 1 where id = $1", []any{1}, 30 * time.Second},
		{"DBStatement/literal", runtime.DBStatement, "update items set n = n + 1 where id = 1", nil, 30 * time.Second},
		{"DBTransaction/$1", runtime.DBTransaction, "update items set n = n + 1 where id = $1", []any{1}, 30 * time.Second},
		{"DBTransaction/literal", runtime.DBTransaction, "update items set n = n + 1 where id = 1", nil, 30 * time.Second},
		// The default configuration: a lookup for every task, batched.
		{"DBStatement/$1/nocache", runtime.DBStatement, "update items set n = n + 1 where id = $1", []any{1}, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			trips := &tripCounter{}
			ids := stressTenants(numTenants)
			tb := setupTenancy(b, ids, func(c *runtime.Config) {
				tracedPool(b, concurrency, trips)(c)
				c.DBMode = bc.mode
				c.Concurrency = concurrency
				c.TenantCache = bc.cache
			})
			ran := newRunCounter(b.N)
			task := runtime.NewTask(runtime.TaskSpec{Name: "bench.update"}, func(ctx context.Context, _ runtime.NoArgs) error {
				db, err := runtime.DB(ctx, "default")
				if err != nil {
					return err
				}
				if _, err := db.Exec(ctx, bc.sql, bc.args...); err != nil {
					return err
				}
				if ran.ran.Add(1) == ran.n {
					close(ran.done)
				}
				return nil
			})
			if err := tb.reg.Register(task); err != nil {
				b.Fatal(err)
			}
			reqs := make([]runtime.Request, 0, 1000)
			for i := range b.N {
				req, err := task.NewRequest(b.Context(), runtime.NoArgs{}, runtime.ForTenant(ids[i%numTenants]))
				if err != nil {
					b.Fatal(err)
				}
				reqs = append(reqs, req)
				if len(reqs) == cap(reqs) || i == b.N-1 {
					if _, err := tb.app.EnqueueMany(b.Context(), reqs); err != nil {
						b.Fatal(err)
					}
					reqs = reqs[:0]
				}
			}
			trips.reset()
			b.ReportAllocs()
			b.ResetTimer()
			stop := tb.run(b)
			select {
			case <-ran.done:
			case <-time.After(5*time.Minute + time.Duration(b.N)*time.Millisecond):
				b.Fatalf("only %d of %d tasks ran", ran.ran.Load(), b.N)
			}
			// DBTransaction commits after the task returns: wait for the
			// last acknowledgements, which follow the commits.
			for {
				st, err := tb.app.Stats(context.Background(), "default")
				if err != nil {
					b.Fatal(err)
				}
				if st == (runtime.QueueStats{}) {
					break
				}
				if st.Dead > 0 {
					b.Fatalf("%d tasks died: %v", st.Dead, tb.deadErrors(b))
				}
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			reportRate(b, b.N)
			b.ReportMetric(float64(trips.total())/float64(b.N), "trips/task")
			if err := stop(); err != nil {
				b.Fatal(err)
			}
			sum := 0
			for _, n := range tb.counters(b) {
				sum += n
			}
			if sum != b.N {
				b.Fatalf("the counters add up to %d after %d tasks", sum, b.N)
			}
		})
	}
}

// tracedPool makes the App's only database a pool of at most conns
// connections whose round trips trips counts, on the shared schema.
func tracedPool(t testing.TB, conns int32, trips *tripCounter) func(*runtime.Config) {
	return func(c *runtime.Config) {
		pc, err := pgxpool.ParseConfig(testenv.DatabaseURL(t))
		if err != nil {
			t.Fatal(err)
		}
		pc.MaxConns = conns
		pc.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{c.SharedSchema}.Sanitize()
		pc.ConnConfig.Tracer = trips
		pool, err := pgxpool.NewWithConfig(context.Background(), pc)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		c.Databases = nil
		c.Pools = map[string]*pgxpool.Pool{"default": pool}
	}
}

// TestTenantExecRoundTrips pins the cost of the tenant switch: once a
// connection has prepared the statement and the tenant is cached, a task
// that runs one Exec costs one round trip in DBStatement mode, with or
// without arguments. In DBTransaction mode it costs two with arguments
// (BEGIN, the switch and the statement in one batch; COMMIT) and three
// without (BEGIN with SET LOCAL, the statement, COMMIT).
func TestTenantExecRoundTrips(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		mode runtime.DBMode
		sql  string
		args []any
		want int64 // round trips per task
	}{
		{"DBStatement/$1", runtime.DBStatement, "update items set n = n + 1 where id = $1", []any{1}, 1},
		{"DBStatement/literal", runtime.DBStatement, "update items set n = n + 1 where id = 1", nil, 1},
		{"DBTransaction/$1", runtime.DBTransaction, "update items set n = n + 1 where id = $1", []any{1}, 2},
		{"DBTransaction/literal", runtime.DBTransaction, "update items set n = n + 1 where id = 1", nil, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			trips := &tripCounter{}
			ids := []string{"acme", "globex"}
			tb := setupTenancy(t, ids, func(c *runtime.Config) {
				tracedPool(t, 1, trips)(c)
				c.DBMode = tc.mode
				c.TenantCache = time.Hour
			})
			var ran atomic.Int64
			task := runtime.NewTask(runtime.TaskSpec{Name: "test.update", Retries: runtime.NoRetries}, func(ctx context.Context, _ runtime.NoArgs) error {
				db, err := runtime.DB(ctx, "default")
				if err != nil {
					return err
				}
				_, err = db.Exec(ctx, tc.sql, tc.args...)
				ran.Add(1)
				return err
			})
			if err := tb.reg.Register(task); err != nil {
				t.Fatal(err)
			}
			tb.run(t)
			// runAll runs n tasks, alternating tenants, and waits until
			// they are done and acknowledged (after their commits).
			runAll := func(n int) {
				t.Helper()
				start := ran.Load()
				for i := range n {
					if _, err := task.Enqueue(t.Context(), tb.app, runtime.NoArgs{}, runtime.ForTenant(ids[i%len(ids)])); err != nil {
						t.Fatal(err)
					}
				}
				testenv.WaitFor(t, "the tasks", func() bool {
					st, err := tb.app.Stats(t.Context(), "default")
					if err == nil && st.Dead > 0 {
						t.Fatalf("dead tasks: %v", tb.deadErrors(t))
					}
					return err == nil && ran.Load() == start+int64(n) && st == runtime.QueueStats{}
				})
			}
			// Warm up: the connection prepares the statement, the cache
			// holds both tenants.
			runAll(4)
			trips.reset()
			const n = 20
			runAll(n)
			if got := trips.total(); got != tc.want*n {
				t.Errorf("%d tasks cost %d round trips (%d queries, %d batches, %d prepares), want %d each",
					n, got, trips.queries.Load(), trips.batches.Load(), trips.prepares.Load(), tc.want)
			}
			want := map[string]int{"acme": (4 + n) / 2, "globex": (4 + n) / 2}
			if diff := cmp.Diff(want, tb.counters(t)); diff != "" {
				t.Errorf("counters (-want +got):\n%s", diff)
			}
		})
	}
}
