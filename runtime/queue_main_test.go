package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// The queue tests that need a worker process of their own (to SIGKILL it, or
// to survive a crash of it) re-execute the test binary with workerEnv set to
// a scenario name: TestMain then runs that scenario instead of the tests.
const (
	workerEnv       = "TENANTGEN_TEST_WORKER"        // scenario to run
	workerRedisEnv  = "TENANTGEN_TEST_WORKER_REDIS"  // Redis URL
	workerPrefixEnv = "TENANTGEN_TEST_WORKER_PREFIX" // key prefix
)

func TestMain(m *testing.M) {
	if scenario := os.Getenv(workerEnv); scenario != "" {
		os.Exit(workerMain(scenario))
	}
	os.Exit(m.Run())
}

// workerMain runs a subprocess scenario and returns the exit code.
func workerMain(scenario string) int {
	url, prefix := os.Getenv(workerRedisEnv), os.Getenv(workerPrefixEnv)
	if url == "" || prefix == "" {
		fmt.Fprintf(os.Stderr, "%s and %s must be set\n", workerRedisEnv, workerPrefixEnv)
		return 3
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	switch scenario {
	case "killable":
		return killableWorker(url, prefix, rdb, logger, killTask(rdb, prefix, true))
	case "killable-capped":
		return killableWorker(url, prefix, rdb, logger, cappedKillTask(rdb, prefix, true))
	case "stuck-returns-nil":
		return stuckReturnsNilWorker(url, prefix, rdb, logger)
	case "relay-killable":
		return killableRelay(url, prefix, rdb, logger)
	}
	fmt.Fprintf(os.Stderr, "unknown scenario %q\n", scenario)
	return 3
}

// killableWorker works task, a killTask in blocking mode, until it is
// killed.
func killableWorker(url, prefix string, rdb *redis.Client, logger *slog.Logger, task *runtime.Task[echoArgs]) int {
	reg := runtime.NewRegistry()
	if err := reg.Register(task); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	app, err := runtime.Open(context.Background(), runtime.Config{
		RedisURL: url, Prefix: prefix, Registry: reg, Concurrency: 8,
		Heartbeat: 100 * time.Millisecond, WorkerTTL: 500 * time.Millisecond, Logger: logger,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	defer app.Close()
	if err := app.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// killTask is the task of TestQueueWorkerKilled. Every run adds its ID to the
// set <prefix>:started. With blockOdd (the worker that gets killed), tasks
// with an odd N then add it to <prefix>:blocked and block until their
// context ends or the key <prefix>:release exists; the others count their
// completion in the hash
// <prefix>:done and record their attempt and completion time (unix µs) in
// <prefix>:attempt and <prefix>:completedAt.
func killTask(rdb *redis.Client, prefix string, blockOdd bool) *runtime.Task[echoArgs] {
	return runtime.NewTask(runtime.TaskSpec{Name: "test.killable"}, killFunc(rdb, prefix, blockOdd))
}

// cappedKillTask is killTask with a cap of 3 running per tenant.
func cappedKillTask(rdb *redis.Client, prefix string, blockOdd bool) *runtime.Task[echoArgs] {
	return runtime.NewTask(runtime.TaskSpec{Name: "test.killcapped", TenantConcurrency: 3}, killFunc(rdb, prefix, blockOdd))
}

// killFunc is the function of killTask.
func killFunc(rdb *redis.Client, prefix string, blockOdd bool) func(context.Context, echoArgs) error {
	return func(ctx context.Context, a echoArgs) error {
		job, _ := runtime.JobFrom(ctx)
		id := string(job.ID)
		bg := context.WithoutCancel(ctx)
		if err := rdb.SAdd(bg, prefix+":started", id).Err(); err != nil {
			return err
		}
		if blockOdd && a.N%2 == 1 {
			if err := rdb.SAdd(bg, prefix+":blocked", id).Err(); err != nil {
				return err
			}
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-t.C:
				}
				if n, _ := rdb.Exists(bg, prefix+":release").Result(); n == 1 {
					return errors.New("released")
				}
			}
		}
		pipe := rdb.TxPipeline()
		pipe.HIncrBy(bg, prefix+":done", id, 1)
		pipe.HSet(bg, prefix+":attempt", id, job.Attempt)
		pipe.HSet(bg, prefix+":completedAt", id, time.Now().UnixMicro())
		_, err := pipe.Exec(bg)
		return err
	}
}

// stuckReturnsNilWorker runs a worker whose only task ignores its context
// past the shutdown grace, so that Run gives up on it and returns an error;
// the task is then released and returns nil, as a task that was merely slow
// does. The process must survive that: it exits 0 after an observation
// window, or crashes if the late success is mishandled.
func stuckReturnsNilWorker(url, prefix string, rdb *redis.Client, logger *slog.Logger) int {
	started, release, returned := make(chan struct{}), make(chan struct{}), make(chan struct{})
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.stuck", Public: true}, func(ctx context.Context, _ runtime.NoArgs) error {
		defer close(returned)
		close(started)
		<-release // ignores ctx
		return nil
	})
	reg := runtime.NewRegistry()
	reg.Register(task)
	app, err := runtime.Open(context.Background(), runtime.Config{
		RedisURL: url, Prefix: prefix, Registry: reg, ShutdownGrace: 50 * time.Millisecond,
		Heartbeat: 100 * time.Millisecond, WorkerTTL: 500 * time.Millisecond, Logger: logger,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	defer app.Close()
	if _, err := task.Enqueue(context.Background(), app, runtime.NoArgs{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- app.Run(ctx) }()
	select {
	case <-started:
	case <-time.After(testenv.Timeout):
		fmt.Fprintln(os.Stderr, "task never started")
		return 3
	}
	cancel()
	if err := <-errc; err == nil {
		fmt.Fprintln(os.Stderr, "Run returned nil with a task still running")
		return 4
	}
	close(release)
	<-returned
	// The late success is acknowledged right after the task returns: wait
	// until the queue is empty, which a mishandled ack would crash before.
	var st runtime.QueueStats
	if !testenv.Eventually(func() bool {
		st, err = app.Stats(context.Background(), "default")
		return err == nil && st == (runtime.QueueStats{})
	}) {
		fmt.Fprintf(os.Stderr, "late success never acknowledged: %+v, %v\n", st, err)
		return 5
	}
	fmt.Println("survived")
	return 0
}

// subprocess is a running test binary in a worker scenario.
type subprocess struct {
	cmd  *exec.Cmd
	out  *testenv.Logs
	done chan struct{} // closed when the process has exited
	err  error         // Wait's error, once done
}

// startSubprocess starts the test binary in scenario on prefix, with the
// environment variables env ("KEY=value") added. It is killed
// when the test ends, if it still runs; its output is logged if the test
// failed.
func startSubprocess(t *testing.T, scenario, prefix string, env ...string) *subprocess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), workerEnv+"="+scenario, workerRedisEnv+"="+testenv.RedisURL(t), workerPrefixEnv+"="+prefix)
	cmd.Env = append(cmd.Env, env...)
	p := &subprocess{cmd: cmd, out: new(testenv.Logs), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("output of the %s subprocess (pid %d):\n%s", scenario, cmd.Process.Pid, p.out.String())
		}
	})
	return p
}

// wait waits for the process to exit, up to d, and returns Wait's error.
func (p *subprocess) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		t.Fatalf("subprocess %d still running after %v", p.cmd.Process.Pid, d)
		return nil
	}
}

// runner is a Run call in progress, for tests that control shutdown.
type runner struct {
	cancel    context.CancelFunc
	errc      chan error
	abandoned atomic.Bool // Run hangs; the cleanup does not wait for it
}

// startRun runs app until stop is called or the test ends.
func startRun(t *testing.T, app *runtime.App) *runner {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{cancel: cancel, errc: make(chan error, 1)}
	go func() { r.errc <- app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if r.abandoned.Load() {
			return
		}
		select {
		case <-r.errc:
		case <-time.After(testenv.Timeout):
			t.Errorf("Run did not return within %v of the end of the test; abandoning it", testenv.Timeout)
		}
	})
	return r
}

// stop cancels Run's ctx and returns Run's error and how long it took to
// return, failing the test if it does not return within testenv.Timeout,
// which only a hang exceeds.
func (r *runner) stop(t *testing.T) (time.Duration, error) {
	t.Helper()
	start := time.Now()
	r.cancel()
	select {
	case err := <-r.errc:
		r.errc <- err // for the cleanup
		return time.Since(start), err
	case <-time.After(testenv.Timeout):
		t.Fatalf("Run did not return within %v of its ctx being cancelled", testenv.Timeout)
		return 0, nil
	}
}

// stopOrAbandon is stop for tests of hangs: when Run does not return
// within testenv.Timeout it fails the test, without stopping it, and leaves
// Run behind.
func (r *runner) stopOrAbandon(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.errc:
		r.errc <- err
		return err
	case <-time.After(testenv.Timeout):
		r.abandoned.Store(true)
		t.Errorf("Run did not return within %v of its ctx being cancelled; abandoning it", testenv.Timeout)
		return nil
	}
}

// openApp opens another App on b's prefix, with b's configuration changed
// by mod.
func (b *queueBundle) openApp(t *testing.T, mod func(*runtime.Config)) *runtime.App {
	t.Helper()
	cfg := b.cfg
	if mod != nil {
		mod(&cfg)
	}
	app, err := runtime.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return app
}

// stats returns the counts of queue, failing the test on an error.
func (b *queueBundle) stats(t *testing.T, queue string) runtime.QueueStats {
	t.Helper()
	st, err := b.app.Stats(context.Background(), queue)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// atoi parses s, which the test wrote.
func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
