package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ceiling is what PostgreSQL and Redis do alone on this machine, driven by
// their own benchmark tools with as many clients as the arms have handlers.
type ceiling struct {
	PGUpdate    float64 `json:"pg_update"`       // single-row UPDATE, schema-qualified: 1 round trip
	PGSetUpdate float64 `json:"pg_set_update"`   // SET search_path; UPDATE: 2 round trips
	PGPipelined float64 `json:"pg_pipelined"`    // set_config(..., true) and UPDATE pipelined: 1 round trip
	RedisPing   float64 `json:"redis_ping"`      // PING, requests/s
	RedisSet    float64 `json:"redis_set"`       // SET
	RedisXAdd   float64 `json:"redis_xadd"`      // XADD
	PGBench     string  `json:"pgbench"`         // command line, for the report
	RedisBench  string  `json:"redis_benchmark"` // command line, for the report
	Clients     int     `json:"clients"`
	Err         string  `json:"error,omitempty"`
}

// findTool looks for a PostgreSQL or Redis tool on PATH, then in
// PostgreSQL's versioned bin directories.
func findTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(m) > 0 {
		slices.Sort(m)
		return m[len(m)-1], nil
	}
	return "", fmt.Errorf("%s not found (Debian: apt-get install postgresql-contrib or redis-tools)", name)
}

var tpsRE = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

func measureCeiling(ctx context.Context, d *driver, logf func(string, ...any)) ceiling {
	c := ceiling{Clients: d.s.Concurrency}
	var errs []string
	if err := resetCounters(ctx, d.pool, d.s.Tenants); err != nil {
		errs = append(errs, err.Error())
	}
	pgbench, err := findTool("pgbench")
	if err != nil {
		errs = append(errs, err.Error())
	} else {
		dir, err := os.MkdirTemp("", "tgbench")
		if err != nil {
			errs = append(errs, err.Error())
		} else {
			defer os.RemoveAll(dir)
			t := d.s.Tenants
			scripts := []struct {
				dst    *float64
				mode   string
				script string
			}{
				{&c.PGUpdate, "simple", fmt.Sprintf("\\set t random(1, %d)\nUPDATE tenant_:t.items SET n = n + 1 WHERE id = 1;\n", t)},
				{&c.PGSetUpdate, "simple", fmt.Sprintf("\\set t random(1, %d)\nSET search_path TO tenant_:t, public;\nUPDATE items SET n = n + 1 WHERE id = 1;\n", t)},
				{&c.PGPipelined, "extended", fmt.Sprintf("\\set t random(1, %d)\n\\startpipeline\nSELECT set_config('search_path', 'tenant_' || :t || ', public', true);\nUPDATE items SET n = n + 1 WHERE id = 1;\n\\endpipeline\n", t)},
			}
			for i, sc := range scripts {
				f := filepath.Join(dir, fmt.Sprintf("s%d.sql", i))
				if err := os.WriteFile(f, []byte(sc.script), 0o644); err != nil {
					errs = append(errs, err.Error())
					continue
				}
				args := []string{"-n", "-M", sc.mode, "-c", strconv.Itoa(c.Clients), "-j", "2", "-T", strconv.Itoa(d.s.CeilingSecs), "-f", f, d.pgURL}
				c.PGBench = "pgbench -n -c " + strconv.Itoa(c.Clients) + " -j 2 -T " + strconv.Itoa(d.s.CeilingSecs) + " -f <script>"
				out, err := exec.CommandContext(ctx, pgbench, args...).CombinedOutput()
				m := tpsRE.FindSubmatch(out)
				if err != nil || m == nil {
					errs = append(errs, fmt.Sprintf("pgbench: %v: %s", err, lastLines(out, 3)))
					continue
				}
				*sc.dst, _ = strconv.ParseFloat(string(m[1]), 64)
			}
			logf("ceiling: pgbench UPDATE %.0f tps, SET+UPDATE %.0f tps, pipelined set_config+UPDATE %.0f tps", c.PGUpdate, c.PGSetUpdate, c.PGPipelined)
		}
	}
	rb, err := findTool("redis-benchmark")
	if err != nil {
		errs = append(errs, err.Error())
	} else {
		hp := hostPort(d.rdURL, "6379")
		host, port, _ := strings.Cut(hp, ":")
		n := 50000
		if d.s.Mode == "full" {
			n = 300000
		}
		base := []string{"-h", host, "-p", port, "--dbnum", strconv.Itoa(benchRedisDB), "-c", strconv.Itoa(c.Clients), "-n", strconv.Itoa(n), "--csv"}
		c.RedisBench = fmt.Sprintf("redis-benchmark -c %d -n %d -t ping,set; and XADD tgbench:s * f v", c.Clients, n)
		run := func(extra ...string) map[string]float64 {
			out, err := exec.CommandContext(ctx, rb, append(slices.Clone(base), extra...)...).Output()
			if err != nil {
				errs = append(errs, fmt.Sprintf("redis-benchmark: %v", err))
				return nil
			}
			recs, _ := csv.NewReader(strings.NewReader(string(out))).ReadAll()
			m := map[string]float64{}
			for _, r := range recs {
				if len(r) >= 2 {
					m[r[0]], _ = strconv.ParseFloat(r[1], 64)
				}
			}
			return m
		}
		m := run("-t", "ping,set")
		c.RedisPing, c.RedisSet = m["PING_MBULK"], m["SET"]
		m = run("XADD", "tgbench:s", "*", "f", "v")
		for k, v := range m {
			if strings.HasPrefix(k, "XADD") {
				c.RedisXAdd = v
			}
		}
		logf("ceiling: redis PING %.0f/s, SET %.0f/s, XADD %.0f/s", c.RedisPing, c.RedisSet, c.RedisXAdd)
	}
	c.Err = strings.Join(errs, "; ")
	return c
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}
