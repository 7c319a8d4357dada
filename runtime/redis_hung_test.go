//go:build linux

package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// privateRedis is a redis-server of one test's own, which the test may
// stop and resume.
type privateRedis struct {
	URL  string
	proc *os.Process
}

// startPrivateRedis starts a redis-server from the installed binary on a
// free loopback port, without persistence, and returns it once it answers.
// It is resumed and killed when the test ends, and dies with the test
// binary. The test is skipped when redis-server is not installed.
func startPrivateRedis(t *testing.T) *privateRedis {
	t.Helper()
	server, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed, so this test cannot start a Redis of its own (Debian/Ubuntu: apt-get install redis-server)")
	}
	dir := t.TempDir()
	var last error
	for range 5 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
		l.Close()
		logFile := filepath.Join(dir, "redis-"+port+".log")
		cmd := exec.Command(server, "--port", port, "--bind", "127.0.0.1", "--protected-mode", "no",
			"--dir", dir, "--save", "", "--appendonly", "no", "--logfile", logFile)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", server, err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGCONT)
			cmd.Process.Kill()
			<-exited
		})
		url := "redis://127.0.0.1:" + port + "/0"
		c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port, MaxRetries: -1})
		up := testenv.Eventually(func() bool {
			select {
			case <-exited:
				return true // the port was taken: try another
			default:
			}
			return c.Ping(context.Background()).Err() == nil
		})
		c.Close()
		select {
		case <-exited:
			last = fmt.Errorf("redis-server exited (port %s taken?)", port)
			continue
		default:
		}
		if !up {
			t.Fatalf("redis-server on port %s did not answer PING", port)
		}
		return &privateRedis{URL: url, proc: cmd.Process}
	}
	t.Fatalf("could not start a redis-server: %v", last)
	return nil
}

// hang stops the server with SIGSTOP: its connections stay open and its
// port accepts new ones, but nothing answers, as with a hung server.
func (r *privateRedis) hang(t *testing.T) {
	t.Helper()
	if err := r.proc.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
}

// TestEnqueueHungRedis checks that the App's own client gives up on a hung
// Redis within the documented bounds: at the ctx deadline, or after its
// read timeouts without one. Before, these waited 5s and 35-40s.
func TestEnqueueHungRedis(t *testing.T) {
	t.Parallel()
	srv := startPrivateRedis(t)
	app, err := runtime.Open(t.Context(), runtime.Config{RedisURL: srv.URL, Prefix: "hung"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	req := runtime.Request{Name: "test.hung", Tenant: "acme", Args: []byte(`{}`)}
	if _, err := app.Enqueue(t.Context(), req); err != nil {
		t.Fatal(err) // the pool holds a connection that will hang
	}
	srv.hang(t)

	for _, tt := range []struct {
		name     string
		deadline time.Duration // 0: none
		// within bounds the wait: generous for a loaded machine, tight
		// enough to fail on the old behaviour.
		within time.Duration
	}{
		// About 500ms; it was 5s, the read timeout, before.
		{"500ms deadline", 500 * time.Millisecond, 3 * time.Second},
		// About 13s (see runtime/redis.go); it was 35-40s before.
		{"no deadline", 0, 25 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			start := time.Now()
			_, err := app.Enqueue(ctx, req)
			took := time.Since(start)
			if err == nil {
				t.Fatal("Enqueue to a hung Redis succeeded")
			}
			t.Logf("failed after %v: %v", took.Round(time.Millisecond), err)
			if took > tt.within {
				t.Errorf("Enqueue took %v to fail, want at most %v", took, tt.within)
			}
			if took < tt.deadline {
				t.Errorf("Enqueue failed after %v, before its %v deadline", took, tt.deadline)
			}
			// The command was sent: Redis may run it when it resumes.
			var ue *runtime.UnknownOutcomeError
			if !errors.Is(err, runtime.ErrUnknownOutcome) || !errors.As(err, &ue) {
				t.Fatalf("error %v is not an *UnknownOutcomeError", err)
			}
			if len(ue.IDs) != 1 || ue.IDs[0] == "" {
				t.Errorf("UnknownOutcomeError.IDs = %q, want the task's ID", ue.IDs)
			}
		})
	}
}

// resume lets a stopped server run again.
func (r *privateRedis) resume(t *testing.T) {
	t.Helper()
	if err := r.proc.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
}

// TestEnqueueUnknownOutcomeRetry follows docs/failures.md: an enqueue that
// timed out on a hung Redis, retried with the ID from its
// *UnknownOutcomeError and a unique key, leaves one task in the queue,
// although the server runs the first attempt once it resumes.
func TestEnqueueUnknownOutcomeRetry(t *testing.T) {
	t.Parallel()
	srv := startPrivateRedis(t)
	app, err := runtime.Open(t.Context(), runtime.Config{RedisURL: srv.URL, Prefix: "retry"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.retried"}, func(context.Context, struct{}) error { return nil })
	opts := []runtime.EnqueueOption{runtime.ForTenant("acme"), runtime.UniqueKey("order-42", time.Hour)}
	if _, err := task.Enqueue(t.Context(), app, struct{}{}, runtime.ForTenant("acme")); err != nil {
		t.Fatal(err) // a connection in the pool, to hang
	}
	srv.hang(t)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	_, err = task.Enqueue(ctx, app, struct{}{}, opts...)
	cancel()
	var ue *runtime.UnknownOutcomeError
	if !errors.As(err, &ue) {
		t.Fatalf("Enqueue on a hung Redis: %v, want an *UnknownOutcomeError", err)
	}
	srv.resume(t)
	id, err := task.Enqueue(t.Context(), app, struct{}{}, append(opts, runtime.ID(ue.IDs[0]))...)
	if err != nil && !errors.Is(err, runtime.ErrDuplicate) {
		t.Fatalf("retry: %v", err)
	}
	if id != ue.IDs[0] {
		t.Errorf("retry returned ID %s, want the first attempt's %s", id, ue.IDs[0])
	}
	stats, err := app.Stats(t.Context(), "default")
	if err != nil {
		t.Fatal(err)
	}
	if stats.Ready != 2 { // the first task, and the retried one once
		t.Errorf("the queue holds %d ready tasks, want 2: the retried task was enqueued twice", stats.Ready)
	}
}

// TestEnqueueFailedBeforeSending checks that failures that certainly sent
// nothing are not reported as unknown outcomes.
func TestEnqueueFailedBeforeSending(t *testing.T) {
	t.Parallel()
	srv := startPrivateRedis(t)
	app, err := runtime.Open(t.Context(), runtime.Config{RedisURL: srv.URL, Prefix: "known"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	req := runtime.Request{Name: "test.known", Tenant: "acme", Args: []byte(`{}`)}
	if _, err := app.Enqueue(t.Context(), req); err != nil {
		t.Fatal(err)
	}

	t.Run("ctx already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := app.Enqueue(ctx, req)
		if !errors.Is(err, context.Canceled) || errors.Is(err, runtime.ErrUnknownOutcome) {
			t.Errorf("Enqueue with a cancelled ctx: %v, want context.Canceled and not ErrUnknownOutcome", err)
		}
	})
	t.Run("server gone: connection refused", func(t *testing.T) {
		if err := srv.proc.Kill(); err != nil {
			t.Fatal(err)
		}
		// Once the kill has closed the server's sockets, nothing listens.
		addr := strings.TrimSuffix(strings.TrimPrefix(srv.URL, "redis://"), "/0")
		testenv.WaitFor(t, "the killed server's port to refuse connections", func() bool {
			c, err := net.Dial("tcp", addr)
			if err == nil {
				c.Close()
			}
			return err != nil
		})
		_, err := app.Enqueue(t.Context(), req)
		if err == nil || errors.Is(err, runtime.ErrUnknownOutcome) {
			t.Errorf("Enqueue with no server: %v, want an error that is not ErrUnknownOutcome", err)
		}
	})
}
