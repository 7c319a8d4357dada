// Tenantctl inspects and repairs the queues of a tenantgen deployment from
// a terminal or a script: the reads and actions of runtime.Inspector.
//
// Usage:
//
//	tenantctl [flags] command [command flags] [arguments]
//
// Commands:
//
//	queues [queue...]                 counts by state of every known queue
//	tenants                           tenants, top by backlog (-sort, -id-prefix, -queue, -limit, -offset)
//	tasks -state S                    tasks of a state (-queue, -tenant, -task, -limit, -offset)
//	task ID                           one task in full
//	retry ID...                       run scheduled or retrying tasks now
//	requeue ID... | requeue -all      requeue dead tasks (-all: every dead task, of -tenant if set)
//	cancel ID...                      cancel tasks: removed if waiting, cancelled if running
//	delete ID...                      delete waiting or dead tasks
//	pause [-tenant T] QUEUE...        pause queues, or a tenant in queues
//	resume [-tenant T] QUEUE...       resume them
//	workers                           live workers and what each runs
//	scheduler                         the scheduler's leader and entries
//	history                           processed and failed tasks per minute, last hour
//
// Flags, before or after the command: -redis URL (default
// $TENANTGEN_REDIS_URL, else redis://127.0.0.1:6379/0), -prefix (default
// $TENANTGEN_PREFIX, else tg), -partitions q=N,... (the deployment's
// Config.QueuePartitions), -json (print JSON for scripts instead of
// tables), -v (log every action).
//
// Exit codes: 0 success, 1 an error, 2 a usage error, 3 a task not found,
// 4 an action that does not apply to the task's state (such as deleting a
// running task). docs/cli.md in the repository describes every command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/runtime"
)

// quiet is a go-redis logger that drops everything.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// Exit codes.
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitNotFound = 3
	exitState    = 4
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the flags every command takes.
type options struct {
	redis      string
	prefix     string
	partitions string
	json       bool
	verbose    bool
}

// register adds the common flags to fs.
func (o *options) register(fs *flag.FlagSet) {
	fs.StringVar(&o.redis, "redis", o.redis, "Redis URL (env TENANTGEN_REDIS_URL)")
	fs.StringVar(&o.prefix, "prefix", o.prefix, "key prefix of the deployment, its Config.Prefix (env TENANTGEN_PREFIX)")
	fs.StringVar(&o.partitions, "partitions", o.partitions, "the deployment's Config.QueuePartitions, as queue=N,... (env TENANTGEN_PARTITIONS)")
	fs.BoolVar(&o.json, "json", o.json, "print JSON instead of tables")
	fs.BoolVar(&o.verbose, "v", o.verbose, "log every action to stderr")
}

// usageError is an error in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// usagef returns a usageError.
func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// env is what a command runs with.
type env struct {
	opts   *options
	app    *runtime.App
	in     *runtime.Inspector
	stdout io.Writer
	stderr io.Writer
}

// run runs tenantctl with args and returns its exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	redis.SetLogger(quiet{}) // go-redis logs its retries; tenantctl reports the error
	opts := &options{
		redis:      envOr("TENANTGEN_REDIS_URL", "redis://127.0.0.1:6379/0"),
		prefix:     envOr("TENANTGEN_PREFIX", "tg"),
		partitions: os.Getenv("TENANTGEN_PARTITIONS"),
	}
	fs := flag.NewFlagSet("tenantctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts.register(fs)
	fs.Usage = func() { usage(stderr, fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() == 0 {
		usage(stderr, fs)
		return exitUsage
	}
	name, rest := fs.Arg(0), fs.Args()[1:]
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "tenantctl: unknown command %q; run tenantctl -help for the list\n", name)
		return exitUsage
	}
	sub := flag.NewFlagSet("tenantctl "+name, flag.ContinueOnError)
	sub.SetOutput(stderr)
	opts.register(sub)
	parse := cmd(sub)
	if err := sub.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	parts, err := parsePartitions(opts.partitions)
	if err != nil {
		fmt.Fprintf(stderr, "tenantctl: %v\n", err)
		return exitUsage
	}
	level := slog.LevelWarn
	if opts.verbose {
		level = slog.LevelInfo
	}
	app, err := runtime.Open(ctx, runtime.Config{
		RedisURL:        opts.redis,
		Prefix:          opts.prefix,
		QueuePartitions: parts,
		Logger:          slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		fmt.Fprintf(stderr, "tenantctl: %v\n", err)
		return exitError
	}
	defer app.Close()
	e := &env{opts: opts, app: app, in: app.Inspector(), stdout: stdout, stderr: stderr}
	return exitCode(stderr, parse(ctx, e, sub.Args()))
}

// exitCode prints err, if any, and returns the exit code it calls for.
func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "tenantctl: %v\n", err)
	var ue usageError
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, runtime.ErrTaskNotFound):
		return exitNotFound
	case errors.Is(err, runtime.ErrTaskState):
		return exitState
	}
	return exitError
}

// parsePartitions parses queue=N,... into Config.QueuePartitions.
func parsePartitions(s string) (map[string]int, error) {
	if s == "" {
		return nil, nil
	}
	out := map[string]int{}
	for _, kv := range strings.Split(s, ",") {
		q, n, ok := strings.Cut(kv, "=")
		p, err := strconv.Atoi(n)
		if !ok || err != nil || p < 1 {
			return nil, fmt.Errorf("invalid -partitions %q: want queue=N,... with N at least 1", s)
		}
		out[q] = p
	}
	return out, nil
}

// envOr returns the environment variable key, or def if it is empty.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `Usage: tenantctl [flags] command [command flags] [arguments]

Commands:
  queues [queue...]             counts by state of every known queue
  tenants                       tenants, top by backlog (-sort, -id-prefix, -queue, -limit, -offset)
  tasks -state S                tasks of a state (-queue, -tenant, -task, -limit, -offset)
  task ID                       one task in full
  retry ID...                   run scheduled or retrying tasks now
  requeue ID... | requeue -all  requeue dead tasks (-all: every one, of -tenant if set)
  cancel ID...                  cancel tasks: removed if waiting, cancelled if running
  delete ID...                  delete waiting or dead tasks
  pause [-tenant T] QUEUE...    pause queues, or a tenant in queues
  resume [-tenant T] QUEUE...   resume them
  workers                       live workers and what each runs
  scheduler                     the scheduler's leader and entries
  history                       processed and failed tasks per minute, last hour (-queue)

Exit codes: 0 success, 1 error, 2 usage error, 3 task not found, 4 action not
applicable to the task's state.

Flags (before or after the command):
`)
	fs.PrintDefaults()
}
