package example_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/tenantgen/tenantgen/example/internal/procs"
	"github.com/tenantgen/tenantgen/internal/testenv"
)

// TestDemoInterrupted runs the demo binary, interrupts it with SIGINT once
// its worker and web server run, and checks that it exits with 130 and a
// short message, leaving no temporary directory, process, schema or Redis
// key behind.
func TestDemoInterrupted(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the test builds the demo with the go command, which is not on PATH: %v", err)
	}
	ctx := t.Context()
	bin := t.TempDir()
	worker, web, err := procs.Build(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin+string(filepath.Separator), "github.com/tenantgen/tenantgen/example/cmd/demo").CombinedOutput(); err != nil {
		t.Fatalf("go build the demo: %v\n%s", err, out)
	}
	tmp := t.TempDir() // the demo's TMPDIR: empty again once it ends
	namespace := "tgint_" + strings.ToLower(rand.Text()[:8])
	dbURL, redisURL := testenv.DatabaseURL(t), testenv.RedisURL(t)

	cmd := exec.Command(filepath.Join(bin, "demo"), "-worker", worker, "-web", web, "-namespace", namespace)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "TENANTGEN_DATABASE_URL="+dbURL, "TENANTGEN_REPLICA_URL="+dbURL, "TENANTGEN_REDIS_URL="+redisURL)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })

	// Interrupt it once it has started its worker and web server: the
	// line that says so names the worker's pid.
	var out strings.Builder
	workerPid := 0
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if rest, ok := strings.CutPrefix(line, "    worker pid "); ok {
			workerPid, _ = strconv.Atoi(strings.TrimSuffix(strings.Fields(rest)[0], ";"))
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	io.Copy(&out, stdout)
	err = cmd.Wait()
	t.Logf("demo output:\n%s%s", out.String(), stderr.String())
	if workerPid == 0 {
		t.Fatal("the demo never said it started its worker")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("the interrupted demo exited with %v, want exit status 130", err)
	}
	if got, want := strings.TrimSpace(stderr.String()), "demo: interrupted (SIGINT); cleaned up"; got != want {
		t.Errorf("its stderr: %q, want %q", got, want)
	}
	if entries, err := os.ReadDir(tmp); err != nil || len(entries) > 0 {
		t.Errorf("left in its TMPDIR: %v (%v)", entries, err)
	}
	if err := syscall.Kill(workerPid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("its worker (pid %d) is still there: kill -0: %v", workerPid, err)
	}
	var schemas int
	if err := testenv.Postgres(t).QueryRow(context.Background(), "select count(*) from pg_namespace where nspname like $1", namespace+`\_%`).Scan(&schemas); err != nil {
		t.Fatal(err)
	}
	if schemas != 0 {
		t.Errorf("%d schemas of namespace %s left", schemas, namespace)
	}
	keys, err := testenv.Redis(t).Keys(context.Background(), namespace+":*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) > 0 {
		t.Errorf("Redis keys of namespace %s left: %v", namespace, keys)
	}
}
