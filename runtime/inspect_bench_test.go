package runtime_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// BenchmarkInspector measures the Inspector's reads that the dashboard's
// overview and tenant pages make, on a private Redis holding 10,000 tenants
// with 100 ready tasks each (1,000,000 queued tasks) and one delayed task
// each. Building the data takes a few seconds; the benchmark is skipped
// under -short.
//
//	go test -run '^$' -bench Inspector -benchtime 20x ./runtime/
func BenchmarkInspector(b *testing.B) {
	if testing.Short() {
		b.Skip("builds 1,000,000 tasks; not with -short")
	}
	const tenants, perTenant = 10000, 100
	rdb, pid := privateRedisB(b)
	reg := runtime.NewRegistry()
	task := runtime.NewTask(runtime.TaskSpec{Name: "bench.inspect"}, func(context.Context, runtime.NoArgs) error { return nil })
	if err := reg.Register(task); err != nil {
		b.Fatal(err)
	}
	app, err := runtime.Open(b.Context(), runtime.Config{Redis: rdb, Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	start := time.Now()
	var reqs []runtime.Request
	flush := func() {
		if _, err := app.EnqueueMany(b.Context(), reqs); err != nil {
			b.Fatal(err)
		}
		reqs = reqs[:0]
	}
	for round := range perTenant + 1 {
		for i := range tenants {
			opts := []runtime.EnqueueOption{runtime.ForTenant(fmt.Sprintf("t%05d", i))}
			if round == perTenant {
				opts = append(opts, runtime.Delay(time.Hour))
			}
			req, err := task.NewRequest(b.Context(), runtime.NoArgs{}, opts...)
			if err != nil {
				b.Fatal(err)
			}
			reqs = append(reqs, req)
			if len(reqs) == 10000 {
				flush()
			}
		}
	}
	flush()
	b.Logf("built %d tasks of %d tenants in %v", tenants*(perTenant+1), tenants, time.Since(start).Round(time.Millisecond))
	in := app.Inspector()
	ctx := b.Context()
	check := func(ready int64) {
		qs, err := in.Queues(ctx)
		if err != nil || qs[0].Ready != ready {
			b.Fatalf("Queues = %+v, %v; want %d ready tasks", qs, err, ready)
		}
	}
	check(tenants * perTenant)
	for _, bc := range []struct {
		name string
		f    func() error
	}{
		{"Queues", func() error { _, err := in.Queues(ctx); return err }},
		{"Tenants/backlog", func() error { _, err := in.Tenants(ctx, runtime.TenantQuery{Limit: 50}); return err }},
		{"Tenants/page-100", func() error {
			_, err := in.Tenants(ctx, runtime.TenantQuery{Sort: runtime.ByID, Offset: 5000, Limit: 50})
			return err
		}},
		{"Tasks/tenant-ready", func() error {
			_, err := in.Tasks(ctx, runtime.TaskQuery{Queue: "default", State: runtime.StateReady, Tenant: "t04242", Limit: 50})
			return err
		}},
		{"Tasks/ready", func() error {
			_, err := in.Tasks(ctx, runtime.TaskQuery{Queue: "default", State: runtime.StateReady, Limit: 50})
			return err
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var self0, self1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &self0)
			redis0 := cpuTime(pid)
			for b.Loop() {
				if err := bc.f(); err != nil {
					b.Fatal(err)
				}
			}
			redisCPU := cpuTime(pid) - redis0
			syscall.Getrusage(syscall.RUSAGE_SELF, &self1)
			client := time.Duration(self1.Utime.Nano()+self1.Stime.Nano()-self0.Utime.Nano()-self0.Stime.Nano()) * time.Nanosecond
			n := float64(b.N)
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/n, "ms/op")
			b.ReportMetric(float64(redisCPU.Microseconds())/1000/n, "redis-cpu-ms/op")
			b.ReportMetric(float64(client.Microseconds())/1000/n, "client-cpu-ms/op")
		})
	}
}

// privateRedisB starts a redis-server of the benchmark's own, which its
// million tasks need rather than the shared one.
func privateRedisB(b *testing.B) (*redis.Client, int) {
	b.Helper()
	server, err := exec.LookPath("redis-server")
	if err != nil {
		b.Skip("redis-server is not installed; this benchmark needs a Redis of its own")
	}
	dir, err := os.MkdirTemp("", "tgi") // short: socket paths are limited to about 100 bytes
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "r.sock")
	cmd := exec.Command(server, "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	rdb := redis.NewClient(&redis.Options{Network: "unix", Addr: sock})
	b.Cleanup(func() { rdb.Close() })
	testenv.WaitFor(b, "the private redis-server to answer", func() bool { return rdb.Ping(b.Context()).Err() == nil })
	return rdb, cmd.Process.Pid
}

// cpuTime returns the CPU time process pid has used, user and system, from
// /proc; 0 where there is no /proc.
func cpuTime(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses: utime and
	// stime are the 12th and 13th, in clock ticks (100 a second on Linux).
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}
