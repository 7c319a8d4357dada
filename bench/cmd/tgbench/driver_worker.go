package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tenantgen/tenantgen/bench/internal/probe"
)

// worker is a running worker subprocess.
type worker struct {
	cmd     *exec.Cmd
	results chan probe.Result
	got     map[int]probe.Result // results received while waiting for another phase
	begun   map[int]bool         // phases whose first task has started
	exited  chan error
}

func (d *driver) startWorker(ctx context.Context, a *arm, e env, want [probe.NumPhases]int, profile string) (*worker, error) {
	ws := make([]string, len(want))
	for i, n := range want {
		ws[i] = strconv.Itoa(n)
	}
	args := []string{"worker", "-arm", a.Name, "-want", strings.Join(ws, ","),
		"-pg", e.PG, "-redis", e.Redis, "-pool", strconv.Itoa(e.Pool), "-concurrency", strconv.Itoa(e.Concurrency),
		"-workload", e.Workload, "-tenants", strconv.Itoa(e.Tenants)}
	if profile != "" {
		args = append(args, "-cpuprofile", profile)
	}
	cmd := exec.Command(d.self, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &worker{cmd: cmd, results: make(chan probe.Result, 2*probe.NumPhases), got: map[int]probe.Result{}, begun: map[int]bool{}, exited: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var r probe.Result
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				d.logf("worker %s: %s", a.Name, sc.Text())
				continue
			}
			w.results <- r
		}
		w.exited <- cmd.Wait()
	}()
	return w, nil
}

// wait returns the Result of phase, or an error if the worker exits or
// the phase takes longer than timeout.
func (w *worker) wait(phase int, timeout time.Duration) (probe.Result, error) {
	return w.await(phase, false, timeout)
}

// waitBegun returns once the first task of phase has started, or an error
// if the worker exits or none starts within timeout.
func (w *worker) waitBegun(phase int, timeout time.Duration) error {
	_, err := w.await(phase, true, timeout)
	return err
}

// await waits for the Result of phase, or with begun for the notice that
// its first task started; what else arrives meanwhile is kept for later.
func (w *worker) await(phase int, begun bool, timeout time.Duration) (probe.Result, error) {
	if r, ok := w.got[phase]; ok {
		return r, nil
	}
	if begun && w.begun[phase] {
		return probe.Result{}, nil
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case r := <-w.results:
			if r.Begun {
				w.begun[r.Phase] = true
				if begun && r.Phase == phase {
					return probe.Result{}, nil
				}
				continue
			}
			if r.Phase == phase {
				return r, nil
			}
			w.got[r.Phase] = r
		case err := <-w.exited:
			w.exited <- err
			return probe.Result{}, fmt.Errorf("worker exited early: %v", err)
		case <-t.C:
			if begun {
				return probe.Result{}, fmt.Errorf("no task of the %s phase started within %v", probe.PhaseNames[phase], timeout)
			}
			return probe.Result{}, fmt.Errorf("%s phase not done after %v", probe.PhaseNames[phase], timeout)
		}
	}
}

// peakRSS returns the worker's peak resident set size in kB (VmHWM).
func (w *worker) peakRSS() int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", w.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// stop stops the worker gracefully, killing it if it takes too long.
func (w *worker) stop() error {
	w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-w.exited:
		return err
	case <-time.After(30 * time.Second):
		w.cmd.Process.Kill()
		return errors.New("worker did not stop within 30s; killed")
	}
}

// phaseTimeout bounds the wait for n tasks of an arm.
func phaseTimeout(n int) time.Duration { return 60*time.Second + time.Duration(n)*10*time.Millisecond }
