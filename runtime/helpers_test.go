package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tenantgen/tenantgen/runtime"
)

// recorder is an Enqueuer test double. It keeps every Request it is given,
// with the context it was given alongside, and returns the IDs "task-1",
// "task-2" and so on. When err is set it records nothing and returns err.
type recorder struct {
	err error

	mu   sync.Mutex
	reqs []runtime.Request
	ctxs []context.Context
}

// Enqueue records req and ctx and returns the next ID, or fails with r.err.
func (r *recorder) Enqueue(ctx context.Context, req runtime.Request) (runtime.TaskID, error) {
	if r.err != nil {
		return "", r.err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	r.ctxs = append(r.ctxs, ctx)
	return runtime.TaskID(fmt.Sprintf("task-%d", len(r.reqs))), nil
}

// requests returns a copy of the Requests recorded so far.
func (r *recorder) requests() []runtime.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]runtime.Request(nil), r.reqs...)
}

// wantError fails the test unless err is non-nil and its message contains
// every string in want.
func wantError(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}
