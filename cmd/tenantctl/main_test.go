package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

func TestMain(m *testing.M) {
	// seedproc is seed in a process of its own, for a worker that runs in
	// the background of a script.
	testscript.Main(m, map[string]func(){
		"seedproc": func() { os.Exit(seed(os.Getenv, os.Args[1:], os.Stderr)) },
	})
}

// TestScript runs the scripts of testdata/script against the test Redis,
// each under a key prefix of its own (TENANTGEN_PREFIX), which it seeds
// with the seed command.
func TestScript(t *testing.T) {
	t.Parallel()
	url := testenv.RedisURL(t)
	rdb := testenv.Redis(t)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		// In process, which saves a start of the test binary per command:
		// under -race that is most of the scripts' time.
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"tenantctl": func(ts *testscript.TestScript, neg bool, args []string) {
				args = append([]string{"-redis", ts.Getenv("TENANTGEN_REDIS_URL"), "-prefix", ts.Getenv("TENANTGEN_PREFIX")}, args...)
				inProcess(ts, neg, run(context.Background(), args, ts.Stdout(), ts.Stderr()))
			},
			"seed": func(ts *testscript.TestScript, neg bool, args []string) {
				inProcess(ts, neg, seed(ts.Getenv, args, ts.Stderr()))
			},
		},
		Setup: func(env *testscript.Env) error {
			prefix := testenv.NewKeyPrefix("ctl")
			env.Setenv("TENANTGEN_REDIS_URL", url)
			env.Setenv("TENANTGEN_PREFIX", prefix)
			env.Defer(func() { testenv.DeleteKeys(rdb, prefix) })
			return nil
		},
	})
}

// inProcess checks the exit code of a command run in process. It prints a
// failure's code on stderr, where a script can match it.
func inProcess(ts *testscript.TestScript, neg bool, code int) {
	if code != 0 {
		fmt.Fprintf(ts.Stderr(), "exit code %d\n", code)
	}
	switch {
	case neg && code == 0:
		ts.Fatalf("unexpected success")
	case !neg && code != 0:
		ts.Fatalf("exit code %d", code)
	}
}

// seed puts tasks on the queues of $TENANTGEN_PREFIX for the scripts: n
// tasks of a tenant named <id>1, <id>2, ..., ready, delayed or dead; or,
// with -work, runs a worker whose tasks block until it is killed; with
// -wait-workers, waits until that many workers are live.
func seed(getenv func(string) string, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	queue := fs.String("queue", "default", "queue")
	tenant := fs.String("tenant", "", "tenant (none: public tasks)")
	n := fs.Int("n", 1, "tasks")
	id := fs.String("id", "", "ID prefix")
	delay := fs.Duration("delay", 0, "delay")
	dead := fs.Bool("dead", false, "make the tasks dead")
	work := fs.Bool("work", false, "run a worker of blocking tasks until killed")
	waitWorkers := fs.Int("wait-workers", 0, "wait until this many workers are live")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx := context.Background()
	reg := runtime.NewRegistry()
	fail := runtime.NewTask(runtime.TaskSpec{Name: "seed.task", Queue: *queue, Public: *tenant == ""}, func(ctx context.Context, _ struct{}) error {
		if *work {
			<-ctx.Done()
			return ctx.Err()
		}
		return runtime.Permanent(errors.New("seeded to fail"))
	})
	reg.Register(fail)
	app, err := runtime.Open(ctx, runtime.Config{
		RedisURL:  getenv("TENANTGEN_REDIS_URL"),
		Prefix:    getenv("TENANTGEN_PREFIX"),
		Registry:  reg,
		Queues:    map[string]int{*queue: 1},
		Heartbeat: 100 * time.Millisecond,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer app.Close()
	if *waitWorkers > 0 {
		for range 200 {
			ws, err := app.Inspector().Workers(ctx)
			if err == nil && len(ws) >= *waitWorkers {
				return 0
			}
			time.Sleep(25 * time.Millisecond)
		}
		fmt.Fprintln(stderr, "seed: no worker came up")
		return 1
	}
	var reqs []runtime.Request
	for i := range *n {
		opts := []runtime.EnqueueOption{}
		if *id != "" {
			opts = append(opts, runtime.ID(runtime.TaskID(fmt.Sprintf("%s%d", *id, i+1))))
		}
		if *tenant != "" {
			opts = append(opts, runtime.ForTenant(*tenant))
		}
		if *delay > 0 {
			opts = append(opts, runtime.Delay(*delay))
		}
		req, err := fail.NewRequest(ctx, struct{}{}, opts...)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		reqs = append(reqs, req)
	}
	if _, err := app.EnqueueMany(ctx, reqs); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if !*dead && !*work {
		return 0
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	if *work {
		return exitCodeOf(<-done, stderr)
	}
	for range 400 {
		st, err := app.Stats(ctx, *queue)
		if err == nil && st.Ready+st.Running == 0 {
			cancel()
			return exitCodeOf(<-done, stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Fprintln(stderr, "seed: the tasks did not die in time")
	return 1
}

func exitCodeOf(err error, stderr io.Writer) int {
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// TestExitCodes: usage errors exit 2, a missing task 3, an action that
// does not apply 4, and an unreachable Redis 1.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	url := testenv.RedisURL(t)
	prefix := testenv.NewKeyPrefix("ctl")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"help", []string{"-help"}, exitOK},
		{"no command", nil, exitUsage},
		{"unknown command", []string{"frobnicate"}, exitUsage},
		{"bad flag", []string{"queues", "-nope"}, exitUsage},
		{"tasks without a state", []string{"tasks"}, exitUsage},
		{"bad partitions", []string{"-partitions", "q=0", "queues"}, exitUsage},
		{"missing task", []string{"task", "NOSUCHTASK"}, exitNotFound},
		{"unknown state", []string{"tasks", "-state", "lost"}, exitError},
		{"no redis", []string{"-redis", "redis://127.0.0.1:1/0", "queues"}, exitError},
		{"ok", []string{"queues"}, exitOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut strings.Builder
			args := append([]string{"-redis", url, "-prefix", prefix}, tc.args...)
			if got := run(context.Background(), args, &out, &errOut); got != tc.want {
				t.Errorf("tenantctl %q exited %d, want %d; stderr:\n%s", tc.args, got, tc.want, errOut.String())
			}
		})
	}
}
