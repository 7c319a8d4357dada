package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// report turns results into the console table and docs/benchmarks.md.
type report struct {
	r   *results
	med map[[2]string]sample // medians per arm and workload
	ok  map[[2]string]string // correctness per arm and workload
	n   map[[2]string]int    // runs that produced figures
}

func newReport(r *results) *report {
	rep := &report{r: r, med: map[[2]string]sample{}, ok: map[[2]string]string{}, n: map[[2]string]int{}}
	groups := map[[2]string][]sample{}
	for _, s := range r.Samples {
		k := [2]string{s.Arm, s.Workload}
		groups[k] = append(groups[k], s)
	}
	for k, ss := range groups {
		var good []sample
		var bad []string
		for _, s := range ss {
			if s.Err != "" {
				bad = append(bad, fmt.Sprintf("run %d: %s", s.Run, s.Err))
				continue
			}
			good = append(good, s)
			for _, p := range s.Problems {
				bad = append(bad, fmt.Sprintf("run %d: %s", s.Run, p))
			}
		}
		rep.n[k] = len(good)
		med := func(f func(sample) float64) float64 {
			var v []float64
			for _, s := range good {
				if x := f(s); x != 0 { // 0: not measured in that run
					v = append(v, x)
				}
			}
			return median(v)
		}
		rep.med[k] = sample{Arm: k[0], Workload: k[1], N: ss[0].N,
			EnqBatch:    med(func(s sample) float64 { return s.EnqBatch }),
			EnqSingleUS: med(func(s sample) float64 { return s.EnqSingleUS }),
			Proc:        med(func(s sample) float64 { return s.Proc }),
			E2E:         med(func(s sample) float64 { return s.E2E }),
			P50:         med(func(s sample) float64 { return s.P50 }),
			P99:         med(func(s sample) float64 { return s.P99 }),
			FanoutSecs:  med(func(s sample) float64 { return s.FanoutSecs }),
			RSSKB:       int(med(func(s sample) float64 { return float64(s.RSSKB) })),
			QuietN:      ss[0].QuietN,
			QuietP50:    med(func(s sample) float64 { return s.QuietP50 }),
			QuietP95:    med(func(s sample) float64 { return s.QuietP95 }),
			QuietP99:    med(func(s sample) float64 { return s.QuietP99 }),
			Drain:       med(func(s sample) float64 { return s.Drain }),
			Total:       med(func(s sample) float64 { return s.Total }),
			Even:        med(func(s sample) float64 { return s.Even }),
		}
		if len(bad) == 0 {
			rep.ok[k] = fmt.Sprintf("yes (%d/%d runs)", len(good), len(ss))
		} else {
			rep.ok[k] = "NO: " + strings.Join(bad, "; ")
		}
	}
	return rep
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// ran tells whether the run included workload wl.
func (rep *report) ran(wl string) bool { return slices.Contains(rep.r.Settings.Workloads, wl) }

func (rep *report) has(arm, wl string) bool {
	_, ok := rep.med[[2]string{arm, wl}]
	return ok && rep.n[[2]string{arm, wl}] > 0
}

func (rep *report) trip(arm, wl string) (trips, bool) {
	for _, t := range rep.r.Trips {
		if t.Arm == arm && t.Workload == wl && t.Err == "" {
			return t, true
		}
	}
	return trips{}, false
}

func (rep *report) armsIn(wl string) []string {
	var out []string
	for _, a := range rep.r.Settings.Arms {
		if rep.has(a, wl) {
			out = append(out, a)
		}
	}
	return out
}

func (rep *report) okShort(arm, wl string) string {
	ok := rep.ok[[2]string{arm, wl}]
	if strings.HasPrefix(ok, "yes") {
		return ok
	}
	return "**NO** (see below)"
}

func (rep *report) write(dir, notesPath string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	notes, err := os.ReadFile(notesPath)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "benchmarks.svg"), []byte(rep.svg()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "benchmarks.md"), []byte(rep.markdown(string(notes))), 0o644)
}
