package main

import (
	"fmt"
	"math"
)

// throughputTable is the table of the noop, tenant or txenqueue workload.
func (rep *report) throughputTable(wl string) *table {
	t := &table{head: []string{"arm", "tasks", "batch enqueue /s", "single enqueue µs", "processing /s", "end to end /s"}}
	timed := wl == "noop" || wl == "txenqueue" // with single enqueues and start latency
	if timed {
		t.head = append(t.head, "start latency p50 / p99 ms")
	}
	t.head = append(t.head, "worker peak RSS MB", "PG + Redis round trips per task", "correct")
	for _, a := range rep.armsIn(wl) {
		m := rep.med[[2]string{a, wl}]
		single := "—"
		if !math.IsNaN(m.EnqSingleUS) && m.EnqSingleUS > 0 {
			single = fmt.Sprintf("%.0f", m.EnqSingleUS)
		}
		if !timed {
			single = "(as noop)"
		}
		row := []string{a, groupDigits(int64(m.N)), fRate(m.EnqBatch), single, fRate(m.Proc), fRate(m.E2E)}
		if timed {
			row = append(row, fMS(m.P50)+" / "+fMS(m.P99))
		}
		rt := "—"
		if tr, ok := rep.trip(a, wl); ok {
			rt = fTrips(tr.WorkerPG) + " + " + fTrips(tr.WorkerRD)
		}
		row = append(row, fmt.Sprintf("%.0f", float64(m.RSSKB)/1024), rt, rep.okShort(a, wl))
		t.add(row...)
	}
	return t
}

func (rep *report) fanoutTable() *table {
	t := &table{head: []string{"arm", "tenants", "enqueue one task per tenant, s", "processing /s", "worker peak RSS MB", "correct"}}
	for _, a := range rep.armsIn("fanout") {
		m := rep.med[[2]string{a, "fanout"}]
		t.add(a, groupDigits(int64(m.N)), fmt.Sprintf("%.3f", m.FanoutSecs), fRate(m.Proc), fmt.Sprintf("%.0f", float64(m.RSSKB)/1024), rep.okShort(a, "fanout"))
	}
	return t
}
