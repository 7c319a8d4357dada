package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/tenantgen/tenantgen/bench/internal/probe"
)

// workerMain is the worker subprocess: it runs one arm's worker, and
// prints one JSON line on stdout each time a phase has all its tasks done,
// and a notice (Begun) when a phase's first task starts. SIGTERM stops it
// gracefully.
func workerMain(args []string) error {
	fs := flag.NewFlagSet("worker", flag.ExitOnError)
	armName := fs.String("arm", "", "arm to run")
	want := fs.String("want", "0", "tasks expected per phase: "+strings.Join(probe.PhaseNames[:], ","))
	var e env
	fs.StringVar(&e.PG, "pg", "", "database URL")
	fs.StringVar(&e.Redis, "redis", "", "Redis URL")
	fs.IntVar(&e.Pool, "pool", 20, "pgx pool size")
	fs.IntVar(&e.Concurrency, "concurrency", 16, "handler concurrency")
	fs.StringVar(&e.CPUProfile, "cpuprofile", "", "write a CPU profile to this file")
	fs.StringVar(&e.Workload, "workload", "", "workload served (arms with a queue per tenant configure their queues by it)")
	fs.IntVar(&e.Tenants, "tenants", 0, "tenants of the fairness workload (1 to this)")
	fs.Parse(args)
	a, err := armByName(*armName)
	if err != nil {
		return err
	}
	var w [probe.NumPhases]int
	for i, f := range strings.Split(*want, ",") {
		if i >= len(w) {
			return fmt.Errorf("-want: too many phases")
		}
		if w[i], err = strconv.Atoi(f); err != nil {
			return fmt.Errorf("-want: %w", err)
		}
	}
	var mu sync.Mutex
	enc := json.NewEncoder(os.Stdout)
	emit := func(r probe.Result) {
		mu.Lock()
		defer mu.Unlock()
		enc.Encode(r)
	}
	probe.Init(w, emit, func(phase int) { emit(probe.Result{Phase: phase, Begun: true}) })
	if e.CPUProfile != "" {
		f, err := os.Create(e.CPUProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	return a.Worker(ctx, e)
}
