// Package procs starts and stops the example's commands as separate
// processes, for the demo driver and the end-to-end test.
package procs

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Build builds the example's worker and web commands with go build into
// dir and returns the paths of the two binaries.
func Build(ctx context.Context, dir string) (worker, web string, err error) {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator),
		"github.com/tenantgen/tenantgen/example/cmd/worker", "github.com/tenantgen/tenantgen/example/cmd/web")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("go build the example's commands: %w\n%s", err, out)
	}
	return filepath.Join(dir, "worker"), filepath.Join(dir, "web"), nil
}

// Proc is a running command whose output goes to a log file.
type Proc struct {
	Name string
	Log  string // path of the file holding its stdout and stderr

	cmd  *exec.Cmd
	done chan struct{}
	err  error // the exit status, once done is closed
}

// Start starts bin with args and the environment of this process plus env,
// sending its output to the file logPath.
func Start(name, bin, logPath string, env []string, args ...string) (*Proc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	p, err := start(name, logPath, cmd)
	f.Close() // the child has its own copy
	return p, err
}

func start(name, logPath string, cmd *exec.Cmd) (*Proc, error) {
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, Log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// StartWeb starts the web command on a free loopback port and returns it
// with its base URL, once it listens.
func StartWeb(bin, logPath string, env []string) (*Proc, string, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = f
	out, err := cmd.StdoutPipe()
	if err != nil {
		f.Close()
		return nil, "", err
	}
	p, err := start("web", logPath, cmd)
	if err != nil {
		f.Close()
		return nil, "", err
	}
	lines := make(chan string, 1)
	go func() {
		defer f.Close()
		r := bufio.NewReader(out)
		line, _ := r.ReadString('\n')
		lines <- line
		io.Copy(f, r)
	}()
	select {
	case line := <-lines:
		if url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on "); ok {
			return p, url, nil
		}
		p.Kill()
		return nil, "", fmt.Errorf("web did not start (see %s)", logPath)
	case <-time.After(30 * time.Second):
		p.Kill()
		return nil, "", fmt.Errorf("web did not listen within 30s (see %s)", logPath)
	}
}

// Pid returns the process ID.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Kill kills the process with SIGKILL and waits for it to exit.
func (p *Proc) Kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop asks the process to stop with SIGTERM and waits up to timeout for it
// to exit, then kills it. It returns an error unless the process exited
// with status 0 within timeout.
func (p *Proc) Stop(timeout time.Duration) error {
	if p.Exited() {
		return p.exitErr()
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.exitErr()
	case <-time.After(timeout):
		p.Kill()
		return fmt.Errorf("%s did not stop within %v of SIGTERM; killed it", p.Name, timeout)
	}
}

func (p *Proc) exitErr() error {
	if p.err != nil {
		return fmt.Errorf("%s: %w", p.Name, p.err)
	}
	return nil
}

// Tail returns the last n lines of the process's log.
func (p *Proc) Tail(n int) string {
	b, err := os.ReadFile(p.Log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
