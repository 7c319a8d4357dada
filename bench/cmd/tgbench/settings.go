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
	// The fairness workload: FairBacklog tasks of one noisy tenant are
	// enqueued before the worker starts, and FairQuiet quiet tenants add
	// one task each every FairGap while that backlog drains. Every task
	// works (sleeps) WorkTime.
	FairBacklog int           `json:"fair_backlog"`
	FairQuiet   int           `json:"fair_quiet"`
	FairGap     time.Duration `json:"fair_gap"`
	WorkTime    time.Duration `json:"work_time"`
}

// fairTenants is how many tenants the fairness workload enqueues for: the
// noisy one (tenant 1) and the quiet ones (2 on).
func (s settings) fairTenants() int { return 1 + s.FairQuiet }

// quietRounds is how many tasks each quiet tenant adds in the fairness
// workload: as many as fit, one every FairGap, in the time the backlog
// takes to drain with every handler busy and no overhead at all. No arm
// drains faster, so every quiet task is enqueued while the backlog drains.
func (s settings) quietRounds() int {
	drain := time.Duration(s.FairBacklog) * s.WorkTime / time.Duration(max(s.Concurrency, 1))
	return max(1, int(drain/max(s.FairGap, 1)))
}

// tasks returns how many tasks arm a runs in a phase of n.
func (s settings) tasks(a *arm, n int) int {
	if a.Slow {
		return min(n, s.SlowN)
	}
	return n
}
