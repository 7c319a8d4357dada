package queue

import (
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/internal/testenv"
)

// BenchmarkFetchLimits measures what limits cost Redis, alone: fetches of
// 16 tasks of 50 tenants, each carrying the previous fetch's
// acknowledgements, as a busy worker of 16 handlers makes them, with no
// limit, with a concurrency cap of 4 per tenant and with a rate of 100,000
// starts per second per tenant (limits that never hold a tenant back).
// redis-cpu-ns/task is the CPU time of the Redis server (a private one,
// INFO cpu) per task: what limits take from the worker on a small machine;
// script-ns/task the part of it spent in the fetch and ack scripts (INFO
// commandstats), which varies less on a busy machine.
//
//	go test -run '^$' -bench FetchLimits -benchtime 20000x ./internal/queue/
func BenchmarkFetchLimits(b *testing.B) {
	rdb := testenv.PrivateRedis(b)
	const tenants = 50
	for _, tc := range []struct {
		name string
		lim  *Limits
	}{
		{"none", nil},
		{"concurrency=4", &Limits{Concurrency: 4}},
		{"rate=100000/s", &Limits{Starts: 100000, Per: time.Second}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := testConfig(b, rdb)
			c := NewClient(rdb, cfg)
			ctx := b.Context()
			if tc.lim != nil {
				if err := c.SetTaskLimits(ctx, []string{"default"}, map[string]Limits{"bench.limited": *tc.lim}, nil); err != nil {
					b.Fatal(err)
				}
			}
			w := NewWorker(c, nil)
			p := w.parts[0]
			if err := rdb.XGroupCreateMkStream(ctx, p.k.stream, group, "0").Err(); err != nil {
				b.Fatal(err)
			}
			fillLanes(b, c, "bench.limited", tenants)
			before, scripts := testenv.RedisCPU(b, rdb), testenv.RedisScriptTime(b, rdb)
			b.ResetTimer()
			got, acks := drainPart(b, w, p, 16)
			if err := w.sendAcks(ctx, acks); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if got != b.N {
				b.Fatalf("fetched %d tasks, want %d", got, b.N)
			}
			b.ReportMetric(float64(testenv.RedisCPU(b, rdb)-before)/float64(b.N), "redis-cpu-ns/task")
			b.ReportMetric(float64(testenv.RedisScriptTime(b, rdb)-scripts)/float64(b.N), "script-ns/task")
		})
	}
}
