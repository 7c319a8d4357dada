package main

import (
	"context"
	"fmt"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// machine describes where the benchmark ran.
type machine struct {
	CPU        string            `json:"cpu"`
	Cores      int               `json:"cores"`
	MemGB      float64           `json:"mem_gb"`
	Kernel     string            `json:"kernel"`
	Go         string            `json:"go"`
	Postgres   string            `json:"postgres"`
	PGSettings map[string]string `json:"pg_settings"`
	Redis      string            `json:"redis"`
	RedisPers  string            `json:"redis_persistence"`
	Modules    map[string]string `json:"modules"`
	Commit     string            `json:"commit"`
	LoadStart  string            `json:"load_start"` // /proc/loadavg: 1, 5 and 15 minutes
	LoadEnd    string            `json:"load_end"`
}

// waitForQuiet waits up to max for the 1-minute load average to fall
// below half the cores: other work on the machine skews every figure.
func waitForQuiet(ctx context.Context, max time.Duration, logf func(string, ...any)) {
	limit := float64(goruntime.NumCPU()) / 2
	deadline := time.Now().Add(max)
	for {
		var load float64
		fmt.Sscan(loadAvg(), &load)
		if load < limit {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			logf("load average %.2f is still above %.1f after %v; running anyway", load, limit, max)
			return
		}
		logf("waiting for a quieter machine: load average %.2f, want below %.1f", load, limit)
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
		}
	}
}

// loadAvg returns the 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func describeMachine(ctx context.Context, pool *pgxpool.Pool, redisURL, commit string) machine {
	m := machine{Cores: goruntime.NumCPU(), Go: goruntime.Version(), Commit: commit,
		PGSettings: map[string]string{}, Modules: map[string]string{}, LoadStart: loadAvg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		for line := range strings.Lines(string(b)) {
			if _, err := fmt.Sscanf(line, "MemTotal: %f kB", &kb); err == nil {
				m.MemGB = kb / (1 << 20)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	pool.QueryRow(ctx, "SHOW server_version").Scan(&m.Postgres)
	for _, name := range []string{"max_connections", "shared_buffers", "fsync", "synchronous_commit", "full_page_writes"} {
		var v string
		if pool.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v) == nil {
			m.PGSettings[name] = v
		}
	}
	if opts, err := redis.ParseURL(redisURL); err == nil {
		c := redis.NewClient(opts)
		defer c.Close()
		if info, err := c.Info(ctx, "server", "persistence").Result(); err == nil {
			var aof, rdb string
			for line := range strings.Lines(info) {
				k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
				switch k {
				case "redis_version":
					m.Redis = v
				case "aof_enabled":
					aof = v
				}
			}
			if save, err := c.ConfigGet(ctx, "save").Result(); err == nil {
				rdb = save["save"]
			}
			m.RedisPers = fmt.Sprintf("RDB save %q, AOF %s", rdb, map[string]string{"0": "off", "1": "on"}[aof])
		}
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			switch dep.Path {
			case "github.com/hibiken/asynq", "github.com/riverqueue/river", "github.com/jackc/pgx/v5", "github.com/redis/go-redis/v9":
				m.Modules[dep.Path] = dep.Version
			}
		}
	}
	return m
}
