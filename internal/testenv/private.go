package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// PrivateRedis starts a redis-server of the test's own from the installed
// binary, on a unix socket and without persistence, and returns a client of
// it; both are stopped when the test ends. It is for tests that wipe their
// Redis and benchmarks that fill it or measure its CPU. It skips the test
// without the binary.
func PrivateRedis(t testing.TB) *redis.Client {
	t.Helper()
	server, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed, so this test cannot start a Redis of its own (Debian/Ubuntu: apt-get install redis-server)")
	}
	dir, err := os.MkdirTemp("", "tgr") // short: socket paths are limited to about 100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "r.sock")
	cmd := exec.Command(server, "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no", "--dir", dir)
	cmd.SysProcAttr = nodeProcAttr()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	rdb := redis.NewClient(&redis.Options{Network: "unix", Addr: sock})
	t.Cleanup(func() { rdb.Close() })
	WaitFor(t, "the private redis-server to answer", func() bool { return rdb.Ping(t.Context()).Err() == nil })
	return rdb
}

// RedisCPU returns the CPU time, user and system, that the server of rdb
// has used, from INFO cpu: take it before and after what a benchmark
// measures.
func RedisCPU(t testing.TB, rdb *redis.Client) time.Duration {
	t.Helper()
	var total float64
	for name, v := range redisInfo(t, rdb, "cpu") {
		if name == "used_cpu_user" || name == "used_cpu_sys" {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
}

// RedisScriptTime returns the time that the server of rdb has spent running
// scripts (EVAL and EVALSHA, from INFO commandstats): the Lua and the
// commands it calls, not the round trips. Like RedisCPU, take it before and
// after what a benchmark measures; it varies less on a busy machine.
func RedisScriptTime(t testing.TB, rdb *redis.Client) time.Duration {
	t.Helper()
	var usec int64
	for name, stats := range redisInfo(t, rdb, "commandstats") {
		if name != "cmdstat_eval" && name != "cmdstat_evalsha" {
			continue
		}
		for _, kv := range strings.Split(stats, ",") {
			if v, ok := strings.CutPrefix(kv, "usec="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				usec += n
			}
		}
	}
	return time.Duration(usec) * time.Microsecond
}

// redisInfo returns the name: value lines of a section of rdb's INFO.
func redisInfo(t testing.TB, rdb *redis.Client, section string) map[string]string {
	t.Helper()
	info, err := rdb.Info(t.Context(), section).Result()
	if err != nil {
		t.Fatal(err)
	}
	lines := make(map[string]string)
	for _, line := range strings.Split(info, "\n") {
		if name, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			lines[name] = v
		}
	}
	return lines
}
