package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tenantgen/tenantgen/example/service"
)

// The counters the demo prints per tenant, as the worker's /metrics names
// them, and the report column each must match.
var tenantCounters = []string{"tenantgen_tasks_succeeded_total", "tenantgen_tasks_retried_total", "tenantgen_tasks_dead_lettered_total"}

// metricsEnv picks a free loopback address for the worker's /metrics and
// returns the environment that tells the worker to serve it there.
func (d *demo) metricsEnv() ([]string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d.metricsAddr = ln.Addr().String()
	ln.Close()
	return []string{service.EnvMetricsAddr + "=" + d.metricsAddr}, nil
}

// printMetrics scrapes the worker's /metrics, prints each tenant's
// counters summed over its tasks, and checks them against the report: the
// tasks that ran, the retries and the dead letters. Counters are updated
// just after a task settles, so it polls briefly until they match.
func (d *demo) printMetrics(ctx context.Context, reports []service.TenantReport) {
	step("metrics from the worker's /metrics (http://%s/metrics), summed per tenant", d.metricsAddr)
	var sums map[string]float64
	var err error
	match := func() bool {
		for _, r := range reports {
			want := []int{r.TasksRun, r.Retries, r.Dead}
			for i, name := range tenantCounters {
				if sums[name+`{tenant="`+r.Tenant+`"}`] != float64(want[i]) {
					return false
				}
			}
		}
		return true
	}
	for deadline := time.Now().Add(5 * time.Second); ; {
		sums, err = scrape(ctx, d.metricsAddr)
		if (err == nil && match()) || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		d.check(false, "the worker serves /metrics (%v)", err)
		return
	}
	for _, r := range reports {
		for _, name := range tenantCounters {
			key := name + `{tenant="` + r.Tenant + `"}`
			fmt.Printf("    %s %v\n", key, sums[key])
		}
	}
	d.check(match(), "the worker's metrics count, per tenant, the tasks that ran, the retries and the dead letters of the table")
}

// scrape reads the counters of tenantCounters from the /metrics of addr,
// summed by tenant: name{tenant="id"} → value.
func scrape(ctx context.Context, addr string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	sums := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name, rest, ok := strings.Cut(line, "{")
		if !ok || !contains(tenantCounters, name) {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(labels, ",") {
			if id, ok := strings.CutPrefix(l, `tenant="`); ok {
				sums[name+`{tenant="`+strings.TrimSuffix(id, `"`)+`"}`] += v
			}
		}
	}
	return sums, sc.Err()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
