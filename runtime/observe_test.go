package runtime_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// settleRecorder is an Observer that records what it sees.
type settleRecorder struct {
	mu      sync.Mutex
	started []string // task names, as attempts start
	settled []runtime.Settlement
}

type startKey struct{}

func (o *settleRecorder) Start(ctx context.Context, job *runtime.Job) context.Context {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.started = append(o.started, job.Name)
	return context.WithValue(ctx, startKey{}, job.ID)
}

func (o *settleRecorder) Settled(ctx context.Context, s runtime.Settlement) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if s.Ran && (s.Job == nil || ctx.Value(startKey{}) != s.Job.ID) {
		panic("Settled did not get the ctx that Start returned")
	}
	o.settled = append(o.settled, s)
}

func (o *settleRecorder) snapshot() []runtime.Settlement {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.settled)
}

// TestObserverSettlements runs a known mix of outcomes and checks that the
// Observer sees each settlement once, with its outcome, attempt and times.
func TestObserverSettlements(t *testing.T) {
	t.Parallel()
	obs := new(settleRecorder)
	b := setupQueue(t, func(c *runtime.Config) { c.Observer = obs })
	var mu sync.Mutex
	flaky := 0
	tasks := []*runtime.Task[runtime.NoArgs]{
		runtime.NewTask(runtime.TaskSpec{Name: "obs.ok"}, func(context.Context, runtime.NoArgs) error { return nil }),
		runtime.NewTask(runtime.TaskSpec{Name: "obs.flaky", Retries: 3}, func(context.Context, runtime.NoArgs) error {
			mu.Lock()
			defer mu.Unlock()
			if flaky++; flaky == 1 {
				return errors.New("once")
			}
			return nil
		}),
		runtime.NewTask(runtime.TaskSpec{Name: "obs.permanent"}, func(context.Context, runtime.NoArgs) error {
			return runtime.Permanent(errors.New("no"))
		}),
		runtime.NewTask(runtime.TaskSpec{Name: "obs.late"}, func(context.Context, runtime.NoArgs) error { return nil }),
	}
	for _, task := range tasks {
		if err := b.reg.Register(task); err != nil {
			t.Fatal(err)
		}
	}
	ctx := runtime.WithTenant(t.Context(), "acme")
	runAt := time.Now().Add(50 * time.Millisecond)
	if _, err := tasks[0].Enqueue(ctx, b.app, runtime.NoArgs{}, runtime.At(runAt)); err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks[1:3] {
		if _, err := task.Enqueue(ctx, b.app, runtime.NoArgs{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tasks[3].Enqueue(ctx, b.app, runtime.NoArgs{}, runtime.Deadline(time.Now().Add(-time.Second))); err != nil {
		t.Fatal(err)
	}
	b.run(t)
	testenv.WaitFor(t, "5 settlements", func() bool { return len(obs.snapshot()) >= 5 })

	type row struct {
		Task    string
		Outcome runtime.Outcome
		Attempt int
		Ran     bool
		Err     bool
		Tenant  string
	}
	var got []row
	for _, s := range obs.snapshot() {
		got = append(got, row{s.Job.Name, s.Outcome, s.Job.Attempt, s.Ran, s.Err != nil, s.Job.Tenant})
		if s.Ran && (s.Started.IsZero() || s.Duration <= 0) {
			t.Errorf("%s attempt %d ran, but its start %v or duration %v is unset", s.Job.Name, s.Job.Attempt, s.Started, s.Duration)
		}
		if s.Job.Name == "obs.ok" {
			if d := s.Job.Due.Sub(runAt); d < 0 || d > time.Millisecond {
				t.Errorf("obs.ok is due at %v, want its RunAt %v", s.Job.Due, runAt)
			}
			if s.StartLatency() < 0 || s.Started.Before(runAt.Truncate(time.Millisecond)) {
				t.Errorf("obs.ok started at %v, before it was due (latency %v)", s.Started, s.StartLatency())
			}
		}
	}
	slices.SortFunc(got, func(x, y row) int {
		return cmp.Compare(x.Task+string(rune('0'+x.Attempt)), y.Task+string(rune('0'+y.Attempt)))
	})
	want := []row{
		{"obs.flaky", runtime.OutcomeRetried, 1, true, true, "acme"},
		{"obs.flaky", runtime.OutcomeSucceeded, 2, true, false, "acme"},
		{"obs.late", runtime.OutcomeDeadLettered, 1, false, true, "acme"},
		{"obs.ok", runtime.OutcomeSucceeded, 1, true, false, "acme"},
		{"obs.permanent", runtime.OutcomeDeadLettered, 1, true, true, "acme"},
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("settlements (-want +got):\n%s", diff)
	}
	obs.mu.Lock()
	started := len(obs.started)
	obs.mu.Unlock()
	if started != 4 {
		t.Errorf("Start was called %d times, want 4 (every attempt that ran)", started)
	}
}

// TestLogHandlerAddsTask checks that a task's own log lines, logged with
// its ctx through LogHandler, carry the task, its tenant and attempt, and
// that lines outside a task are unchanged.
func TestLogHandlerAddsTask(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var buf bytes.Buffer
	logger := slog.New(runtime.LogHandler(slog.NewTextHandler(&lockedWriter{&mu, &buf}, nil)))
	b := setupQueue(t, nil)
	task := runtime.NewTask(runtime.TaskSpec{Name: "log.task"}, func(ctx context.Context, _ runtime.NoArgs) error {
		logger.InfoContext(ctx, "inside", "k", "v")
		return nil
	})
	if err := b.reg.Register(task); err != nil {
		t.Fatal(err)
	}
	logger.InfoContext(t.Context(), "outside")
	b.run(t)
	id, err := task.Enqueue(runtime.WithTenant(t.Context(), "globex"), b.app, runtime.NoArgs{})
	if err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "the task's line", func() bool { mu.Lock(); defer mu.Unlock(); return strings.Contains(buf.String(), "inside") })
	mu.Lock()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	mu.Unlock()
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if strings.Contains(lines[0], "task") {
		t.Errorf("line outside a task has task attributes: %s", lines[0])
	}
	for _, want := range []string{"k=v", "task_id=" + string(id), "task=log.task", "tenant=globex", "queue=default", "attempt=1"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("task's line %q lacks %q", lines[1], want)
		}
	}
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestOldestReady checks that OldestReady finds the oldest ready task
// across tenants' lanes, and reports none for an empty queue.
func TestOldestReady(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil)
	task := runtime.NewTask(runtime.TaskSpec{Name: "oldest.task"}, func(context.Context, runtime.NoArgs) error { return nil })
	if err := b.reg.Register(task); err != nil {
		t.Fatal(err)
	}
	if at, err := b.app.OldestReady(t.Context(), "default"); err != nil || !at.IsZero() {
		t.Fatalf("OldestReady of an empty queue = %v, %v; want the zero time", at, err)
	}
	before := time.Now().Truncate(time.Millisecond)
	if _, err := task.Enqueue(runtime.WithTenant(t.Context(), "globex"), b.app, runtime.NoArgs{}); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	testenv.WaitFor(t, "the clock to move", func() bool { return time.Since(after) > 5*time.Millisecond })
	for _, tenant := range []string{"acme", "globex", "initech"} {
		if _, err := task.Enqueue(runtime.WithTenant(t.Context(), tenant), b.app, runtime.NoArgs{}); err != nil {
			t.Fatal(err)
		}
	}
	at, err := b.app.OldestReady(t.Context(), "default")
	if err != nil {
		t.Fatal(err)
	}
	if at.Before(before) || at.After(after) {
		t.Errorf("OldestReady = %v, want the first enqueue, between %v and %v", at, before, after)
	}
}

// TestInspectorOldestReady checks that the Inspector's QueueInfo.OldestReady
// is App.OldestReady's reading, as an age: due time, paused tenants left
// out, their tasks counted again once resumed.
func TestInspectorOldestReady(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, nil)
	task := runtime.NewTask(runtime.TaskSpec{Name: "oldest.task"}, func(context.Context, runtime.NoArgs) error { return nil })
	if err := b.reg.Register(task); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	in := b.app.Inspector()
	// check reads both and returns the due time App.OldestReady saw, after
	// checking that Queues reported its age.
	check := func(t *testing.T) time.Time {
		t.Helper()
		at, err := b.app.OldestReady(ctx, "default")
		if err != nil {
			t.Fatal(err)
		}
		before := time.Now()
		qs, err := in.Queues(ctx)
		after := time.Now()
		if err != nil || len(qs) != 1 {
			t.Fatalf("Queues = %+v, %v; want the default queue", qs, err)
		}
		if got := qs[0].OldestReady; got < before.Sub(at) || got > after.Sub(at) {
			t.Errorf("Queues' OldestReady = %v, want App.OldestReady's age, between %v and %v", got, before.Sub(at), after.Sub(at))
		}
		return at
	}
	if err := in.PauseTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Truncate(time.Millisecond)
	enqueueFor(t, b.app, task, runtime.NoArgs{}, []string{"acme"})
	testenv.WaitFor(t, "the clock to move", func() bool { return time.Since(start) > 5*time.Millisecond })
	mid := time.Now().Truncate(time.Millisecond)
	enqueueFor(t, b.app, task, runtime.NoArgs{}, []string{"globex"})

	if at := check(t); at.Before(mid) {
		t.Errorf("OldestReady with acme paused = %v, want globex's task, at %v or later", at, mid)
	}
	if err := in.ResumeTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if at := check(t); at.Before(start) || !at.Before(mid) {
		t.Errorf("OldestReady with acme resumed = %v, want acme's task, between %v and %v", at, start, mid)
	}
}
