package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/tenantgen/tenantgen/example/service"
)

// wait polls the report until every expected task has settled, printing
// progress, or the timeout passes, or ctx is cancelled.
func (d *demo) wait(ctx context.Context) ([]service.TenantReport, service.SharedReport, error) {
	wantTasks, wantDead := expectedTotals()
	start := time.Now()
	deadline := start.Add(d.timeout)
	tty := isTerminal()
	last := ""
	for {
		reports, shared, err := service.Report(ctx, d.app, d.s)
		if err != nil {
			return nil, shared, err
		}
		ran, retries, dead := shared.TasksRun(), 0, shared.Dead
		for _, r := range reports {
			ran, retries, dead = ran+r.TasksRun, retries+r.Retries, dead+r.Dead
		}
		done := ran+dead >= wantTasks && dead >= wantDead
		line := fmt.Sprintf("    %d/%d tasks settled: %d ran, %d dead letters (%d retries)", ran+dead, wantTasks, ran, dead, retries)
		if tty {
			fmt.Printf("\r%s (%.1fs) ", line, time.Since(start).Seconds())
		} else if line != last {
			fmt.Println(line)
		}
		last = line
		if done || time.Now().After(deadline) {
			if tty {
				fmt.Println()
			}
			d.check(done, "every task settled within %v (took %.1fs)", d.timeout, time.Since(start).Seconds())
			return reports, shared, nil
		}
		if d.worker.Exited() {
			return nil, shared, fmt.Errorf("the worker exited:\n%s", d.worker.Tail(20))
		}
		select {
		case <-ctx.Done():
			return nil, shared, context.Cause(ctx)
		case <-time.After(100 * time.Millisecond): // a polling interval, bounded by the deadline above
		}
	}
}

func isTerminal() bool {
	fi, err := os.Stdout.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
