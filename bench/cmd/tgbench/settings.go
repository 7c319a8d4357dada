package main

import "time"

// settings are the knobs of one benchmark invocation.
type settings struct {
	Mode        string        `json:"mode"`        // quick or full
	N           int           `json:"n"`           // tasks per throughput phase
	Tenants     int           `json:"tenants"`     // tenants of the tenant workload
	Fanout      int           `json:"fanout"`      // tenants of the fan-out
	Latency     int           `json:"latency"`     // tasks of the latency phase
	LatencyGap  time.Duration `json:"latency_gap"` // between two latency tasks
	Batch       int           `json:"batch"`       // tasks per batch enqueue
	Runs        int           `json:"runs"`
	CountN      int           `json:"count_n"` // tasks per phase in the counting pass
	Pool        int           `json:"pool"`
	Concurrency int           `json:"concurrency"`
	Workloads   []string      `json:"workloads"`
	Arms        []string      `json:"arms"`
	CeilingSecs int           `json:"ceiling_secs"`
	SlowN       int           `json:"slow_n"` // tasks per phase of slow arms
	// FanoutWork is how many runs work the fan-out's tasks; later runs
	// only time the enqueue and count the tasks queued.
	FanoutWork int `json:"fanout_work"`
}

// tasks returns how many tasks arm a runs in a phase of n.
func (s settings) tasks(a *arm, n int) int {
	if a.Slow {
		return min(n, s.SlowN)
	}
	return n
}
