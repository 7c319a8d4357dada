package runtime_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/runtime"
)

// invoice is the argument type of the task most tests enqueue.
type invoice struct {
	ID    string `json:"id"`
	Cents int64  `json:"cents"`
}

// sendName is the name of the task returned by newSendTask.
const sendName = "billing.SendInvoice"

// sendSpec returns settings with every field that reaches a Request set.
func sendSpec() runtime.TaskSpec {
	return runtime.TaskSpec{
		Name:    sendName,
		Queue:   "billing",
		Retries: 5,
		Timeout: 2 * time.Minute,
		Cache:   30 * time.Second,
		DBs:     []string{"default", "replica"},
		Unique:  time.Hour,
	}
}

// newSendTask returns a task with the settings of sendSpec whose function
// does nothing.
func newSendTask() *runtime.Task[invoice] {
	return runtime.NewTask(sendSpec(), func(context.Context, invoice) error { return nil })
}

// sendArgs are the arguments most tests enqueue; sendJSON is their encoding.
var sendArgs = invoice{ID: "inv-1", Cents: 1250}

const sendJSON = `{"id":"inv-1","cents":1250}`

// acme returns a context that carries the tenant "acme".
func acme() context.Context {
	return runtime.WithTenant(context.Background(), "acme")
}

func TestNewRequestFromSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec runtime.TaskSpec
		want runtime.Request
	}{
		{
			name: "every setting",
			spec: sendSpec(),
			want: runtime.Request{
				Name:    sendName,
				Args:    []byte(sendJSON),
				Tenant:  "acme",
				Queue:   "billing",
				Retries: 5,
				Timeout: 2 * time.Minute,
				Unique:  time.Hour,
			},
		},
		{
			name: "defaults",
			spec: runtime.TaskSpec{Name: "billing.Plain"},
			want: runtime.Request{Name: "billing.Plain", Args: []byte(sendJSON), Tenant: "acme"},
		},
		{
			name: "NoRetries",
			spec: runtime.TaskSpec{Name: "billing.Once", Retries: runtime.NoRetries},
			want: runtime.Request{Name: "billing.Once", Args: []byte(sendJSON), Tenant: "acme", Retries: runtime.NoRetries},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			task := runtime.NewTask(tt.spec, func(context.Context, invoice) error { return nil })
			got, err := task.NewRequest(acme(), sendArgs)
			if err != nil {
				t.Fatalf("NewRequest: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("NewRequest mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewRequestOptions(t *testing.T) {
	t.Parallel()
	at1 := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	at2 := time.Date(2031, 6, 7, 8, 9, 10, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		opts []runtime.EnqueueOption
		edit func(*runtime.Request) // turns the Request without options into the wanted one
	}{
		{"no options", nil, func(*runtime.Request) {}},
		{"Queue", opts(runtime.Queue("urgent")), func(r *runtime.Request) { r.Queue = "urgent" }},
		{"Retries", opts(runtime.Retries(2)), func(r *runtime.Request) { r.Retries = 2 }},
		{"Retries(NoRetries) means NoRetries", opts(runtime.Retries(runtime.NoRetries)), func(r *runtime.Request) { r.Retries = runtime.NoRetries }},
		{"Timeout", opts(runtime.Timeout(5 * time.Second)), func(r *runtime.Request) { r.Timeout = 5 * time.Second }},
		{"Unique", opts(runtime.Unique(10 * time.Minute)), func(r *runtime.Request) { r.Unique = 10 * time.Minute }},
		{"At", opts(runtime.At(at1)), func(r *runtime.Request) { r.RunAt = at1 }},
		{"ForTenant", opts(runtime.ForTenant("globex")), func(r *runtime.Request) { r.Tenant = "globex" }},
		{"ID", opts(runtime.ID("T1")), func(r *runtime.Request) { r.ID = "T1" }},
		{"UniqueKey", opts(runtime.UniqueKey("order-1", time.Minute)), func(r *runtime.Request) { r.UniqueKey, r.Unique = "order-1", time.Minute }},
		{"Unique after UniqueKey keeps the key", opts(runtime.UniqueKey("order-1", time.Minute), runtime.Unique(time.Second)), func(r *runtime.Request) { r.UniqueKey, r.Unique = "order-1", time.Second }},
		{
			name: "all options",
			opts: opts(
				runtime.Queue("urgent"), runtime.Retries(1), runtime.Timeout(time.Second),
				runtime.Unique(time.Minute), runtime.At(at1), runtime.ForTenant("globex"),
			),
			edit: func(r *runtime.Request) {
				r.Queue, r.Retries, r.Timeout, r.Unique, r.RunAt, r.Tenant = "urgent", 1, time.Second, time.Minute, at1, "globex"
			},
		},
		{"later Queue wins", opts(runtime.Queue("a"), runtime.Queue("b")), func(r *runtime.Request) { r.Queue = "b" }},
		{"later Retries wins", opts(runtime.Retries(runtime.NoRetries), runtime.Retries(3)), func(r *runtime.Request) { r.Retries = 3 }},
		{"later Retries(NoRetries) wins", opts(runtime.Retries(3), runtime.Retries(runtime.NoRetries)), func(r *runtime.Request) { r.Retries = runtime.NoRetries }},
		{"later Timeout wins", opts(runtime.Timeout(time.Second), runtime.Timeout(time.Hour)), func(r *runtime.Request) { r.Timeout = time.Hour }},
		{"later Unique wins", opts(runtime.Unique(time.Hour), runtime.Unique(time.Second)), func(r *runtime.Request) { r.Unique = time.Second }},
		{"later At wins", opts(runtime.At(at1), runtime.At(at2)), func(r *runtime.Request) { r.RunAt = at2 }},
		{"At after Delay wins", opts(runtime.Delay(time.Hour), runtime.At(at1)), func(r *runtime.Request) { r.RunAt = at1 }},
		{"later ForTenant wins", opts(runtime.ForTenant("x"), runtime.ForTenant("y")), func(r *runtime.Request) { r.Tenant = "y" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := runtime.Request{
				Name:    sendName,
				Args:    []byte(sendJSON),
				Tenant:  "acme",
				Queue:   "billing",
				Retries: 5,
				Timeout: 2 * time.Minute,
				Unique:  time.Hour,
			}
			tt.edit(&want)
			got, err := newSendTask().NewRequest(acme(), sendArgs, tt.opts...)
			if err != nil {
				t.Fatalf("NewRequest: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("NewRequest(%v) mismatch (-want +got):\n%s", tt.opts, diff)
			}
		})
	}
}

// opts returns its arguments as a slice, which keeps test tables short.
func opts(o ...runtime.EnqueueOption) []runtime.EnqueueOption { return o }

func TestAtIsExact(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 1, 2, 3, 4, 5, 6, time.FixedZone("EST", -5*3600))
	got, err := newSendTask().NewRequest(acme(), sendArgs, runtime.At(at))
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	// Compare with == rather than Equal: At must keep the instant, the
	// location and the monotonic reading as given.
	if got.RunAt != at {
		t.Errorf("RunAt = %v, want exactly %v", got.RunAt, at)
	}
}

func TestDelay(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name  string
		delay time.Duration
		opts  []runtime.EnqueueOption // given before Delay(delay)
	}{
		{"zero", 0, nil},
		{"one second", time.Second, nil},
		{"ninety minutes", 90 * time.Minute, nil},
		{"Delay after At wins", time.Minute, opts(runtime.At(at))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := time.Now()
			got, err := newSendTask().NewRequest(acme(), sendArgs, slices.Concat(tt.opts, opts(runtime.Delay(tt.delay)))...)
			after := time.Now()
			if err != nil {
				t.Fatalf("NewRequest: %v", err)
			}
			lo, hi := before.Add(tt.delay), after.Add(tt.delay)
			if got.RunAt.Before(lo) || got.RunAt.After(hi) {
				t.Errorf("RunAt = %v, want within [%v, %v]", got.RunAt, lo, hi)
			}
		})
	}
}

func TestNewRequestOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []runtime.EnqueueOption
		want string
	}{
		{"empty queue", opts(runtime.Queue("")), "empty queue name"},
		{"uppercase queue", opts(runtime.Queue("Billing")), `invalid queue name "Billing"`},
		{"queue with braces", opts(runtime.Queue("{billing}")), `invalid queue name "{billing}"`},
		{"queue with space", opts(runtime.Queue("bill ing")), `invalid queue name "bill ing"`},
		{"queue with colon", opts(runtime.Queue("bill:ing")), `invalid queue name "bill:ing"`},
		{"queue too long", opts(runtime.Queue(strings.Repeat("q", 65))), "the limit is 64"},
		{"negative retries", opts(runtime.Retries(-2)), "negative retry count -2"},
		{"zero retries", opts(runtime.Retries(0)), "retry count 0 means the default: for no retries use runtime.Retries(runtime.NoRetries)"},
		{"zero timeout", opts(runtime.Timeout(0)), "timeout 0s is not positive"},
		{"negative timeout", opts(runtime.Timeout(-time.Second)), "timeout -1s is not positive"},
		{"zero unique", opts(runtime.Unique(0)), "unique window 0s is not positive"},
		{"negative unique", opts(runtime.Unique(-time.Minute)), "unique window -1m0s is not positive"},
		{"negative delay", opts(runtime.Delay(-time.Nanosecond)), "negative delay -1ns"},
		{"empty tenant", opts(runtime.ForTenant("")), "empty tenant ID in ForTenant"},
		{"empty ID", opts(runtime.ID("")), "empty task ID in runtime.ID"},
		{"empty unique key", opts(runtime.UniqueKey("", time.Hour)), "empty key in runtime.UniqueKey"},
		{"zero unique key window", opts(runtime.UniqueKey("k", 0)), "unique window 0s is not positive"},
		{"bad option after good ones", opts(runtime.Queue("ok"), runtime.Retries(-3)), "negative retry count -3"},
		{"bad option before good ones", opts(runtime.Retries(-3), runtime.Queue("ok")), "negative retry count -3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			task := newSendTask()
			got, err := task.NewRequest(acme(), sendArgs, tt.opts...)
			wantError(t, err, `tenantgen: enqueue task "billing.SendInvoice": `, tt.want)
			if errors.Is(err, runtime.ErrNoTenant) {
				t.Errorf("error %q wraps ErrNoTenant", err)
			}
			if diff := cmp.Diff(runtime.Request{}, got); diff != "" {
				t.Errorf("NewRequest returned a Request with its error (-want +got):\n%s", diff)
			}

			rec := &recorder{}
			id, err := task.Enqueue(acme(), rec, sendArgs, tt.opts...)
			wantError(t, err, tt.want)
			if id != "" {
				t.Errorf("Enqueue returned ID %q with its error", id)
			}
			if n := len(rec.requests()); n != 0 {
				t.Errorf("Enqueuer got %d requests, want none", n)
			}
		})
	}
}

func TestEnqueueTenancy(t *testing.T) {
	t.Parallel()
	bg := context.Background()
	tests := []struct {
		name       string
		public     bool
		ctx        context.Context
		opts       []runtime.EnqueueOption
		wantTenant string
		wantErr    string // empty for no error
		noTenant   bool   // whether the error wraps ErrNoTenant
	}{
		{name: "ambient tenant", ctx: acme(), wantTenant: "acme"},
		{name: "innermost ambient tenant", ctx: runtime.WithTenant(acme(), "globex"), wantTenant: "globex"},
		{name: "ForTenant beats ambient", ctx: acme(), opts: opts(runtime.ForTenant("globex")), wantTenant: "globex"},
		{name: "ForTenant without ambient", ctx: bg, opts: opts(runtime.ForTenant("globex")), wantTenant: "globex"},
		{name: "no tenant", ctx: bg, wantErr: `enqueue task "billing.SendInvoice"`, noTenant: true},
		{name: "empty ambient tenant", ctx: runtime.WithTenant(bg, ""), wantErr: `enqueue task "billing.SendInvoice"`, noTenant: true},
		{name: "empty ambient tenant hides outer one", ctx: runtime.WithTenant(acme(), ""), wantErr: `enqueue task "billing.SendInvoice"`, noTenant: true},
		{name: "public ignores ambient tenant", public: true, ctx: acme(), wantTenant: ""},
		{name: "public without tenant", public: true, ctx: bg, wantTenant: ""},
		{
			name:    "public with ForTenant",
			public:  true,
			ctx:     bg,
			opts:    opts(runtime.ForTenant("globex")),
			wantErr: `tenantgen: enqueue task "billing.SendInvoice": the task is public and runs without a tenant; drop the ForTenant("globex") option`,
		},
		{
			name:    "public with ForTenant and ambient tenant",
			public:  true,
			ctx:     acme(),
			opts:    opts(runtime.ForTenant("globex")),
			wantErr: `drop the ForTenant("globex") option`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := sendSpec()
			spec.Public = tt.public
			spec.Cache = 0
			task := runtime.NewTask(spec, func(context.Context, invoice) error { return nil })
			rec := &recorder{}
			_, err := task.Enqueue(tt.ctx, rec, sendArgs, tt.opts...)
			if tt.wantErr != "" {
				wantError(t, err, tt.wantErr)
				if got := errors.Is(err, runtime.ErrNoTenant); got != tt.noTenant {
					t.Errorf("errors.Is(%q, ErrNoTenant) = %t, want %t", err, got, tt.noTenant)
				}
				if n := len(rec.requests()); n != 0 {
					t.Errorf("Enqueuer got %d requests, want none", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
			reqs := rec.requests()
			if len(reqs) != 1 {
				t.Fatalf("Enqueuer got %d requests, want 1", len(reqs))
			}
			if got := reqs[0].Tenant; got != tt.wantTenant {
				t.Errorf("Tenant = %q, want %q", got, tt.wantTenant)
			}
		})
	}
}

func TestEnqueueLeavesContextAlone(t *testing.T) {
	t.Parallel()
	type markerKey struct{}
	tests := []struct {
		name       string
		ctx        context.Context
		wantTenant string // tenant of a later request without options; empty for ErrNoTenant
	}{
		{"ambient tenant", acme(), "acme"},
		{"no tenant", context.Background(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.WithValue(tt.ctx, markerKey{}, "marker")
			task := newSendTask()
			rec := &recorder{}
			if _, err := task.Enqueue(ctx, rec, sendArgs, runtime.ForTenant("globex")); err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
			if rec.ctxs[0] != ctx {
				t.Errorf("the Enqueuer got a context other than the caller's")
			}
			if got := rec.ctxs[0].Value(markerKey{}); got != "marker" {
				t.Errorf("the Enqueuer's context lost a value: got %v, want %q", got, "marker")
			}

			req, err := task.NewRequest(ctx, sendArgs)
			if tt.wantTenant == "" {
				if !errors.Is(err, runtime.ErrNoTenant) {
					t.Errorf("after Enqueue with ForTenant, NewRequest error = %v, want ErrNoTenant", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewRequest: %v", err)
			}
			if req.Tenant != tt.wantTenant {
				t.Errorf("after Enqueue with ForTenant, Tenant = %q, want %q", req.Tenant, tt.wantTenant)
			}
		})
	}
}

func TestEnqueue(t *testing.T) {
	t.Parallel()
	task := newSendTask()
	rec := &recorder{}
	ctx := acme()
	second := invoice{ID: "inv-2", Cents: 99}

	id1, err := task.Enqueue(ctx, rec, sendArgs)
	if err != nil {
		t.Fatalf("first Enqueue: %v", err)
	}
	id2, err := task.Enqueue(ctx, rec, second, runtime.Queue("urgent"), runtime.Retries(runtime.NoRetries))
	if err != nil {
		t.Fatalf("second Enqueue: %v", err)
	}

	if diff := cmp.Diff([]runtime.TaskID{"task-1", "task-2"}, []runtime.TaskID{id1, id2}); diff != "" {
		t.Errorf("IDs mismatch (-want +got):\n%s", diff)
	}
	want := []runtime.Request{
		{Name: sendName, Args: []byte(sendJSON), Tenant: "acme", Queue: "billing", Retries: 5, Timeout: 2 * time.Minute, Unique: time.Hour},
		{Name: sendName, Args: []byte(`{"id":"inv-2","cents":99}`), Tenant: "acme", Queue: "urgent", Retries: runtime.NoRetries, Timeout: 2 * time.Minute, Unique: time.Hour},
	}
	if diff := cmp.Diff(want, rec.requests()); diff != "" {
		t.Errorf("enqueued requests mismatch (-want +got):\n%s", diff)
	}
}

func TestEnqueueNilEnqueuer(t *testing.T) {
	t.Parallel()
	id, err := newSendTask().Enqueue(acme(), nil, sendArgs)
	wantError(t, err, `tenantgen: enqueue task "billing.SendInvoice": nil Enqueuer`)
	if id != "" {
		t.Errorf("Enqueue returned ID %q with its error", id)
	}
}

func TestEnqueueReturnsEnqueuerError(t *testing.T) {
	t.Parallel()
	errFull := errors.New("queue full")
	_, err := newSendTask().Enqueue(acme(), &recorder{err: errFull}, sendArgs)
	if err != errFull {
		t.Errorf("Enqueue error = %v, want the Enqueuer's error %v as is", err, errFull)
	}
}

func TestOptionString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		opt  runtime.EnqueueOption
		want string
	}{
		{runtime.Queue("billing"), `runtime.Queue("billing")`},
		{runtime.Queue(`a"b`), `runtime.Queue("a\"b")`},
		{runtime.Retries(0), `runtime.Retries(0)`},
		{runtime.Retries(3), `runtime.Retries(3)`},
		{runtime.Retries(-1), `runtime.Retries(-1)`},
		{runtime.Timeout(90 * time.Second), `runtime.Timeout(1m30s)`},
		{runtime.Unique(time.Hour), `runtime.Unique(1h0m0s)`},
		{runtime.At(time.Date(2030, 1, 2, 3, 4, 5, 600, time.UTC)), `runtime.At(2030-01-02T03:04:05.0000006Z)`},
		{runtime.At(time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("EST", -5*3600))), `runtime.At(2030-01-02T03:04:05-05:00)`},
		{runtime.Delay(1500 * time.Millisecond), `runtime.Delay(1.5s)`},
		{runtime.ForTenant("acme"), `runtime.ForTenant("acme")`},
		{runtime.ForTenant(""), `runtime.ForTenant("")`},
		{runtime.ID("T1"), `runtime.ID("T1")`},
		{runtime.UniqueKey("order-1", time.Hour), `runtime.UniqueKey("order-1", 1h0m0s)`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := tt.opt.String(); got != tt.want {
				t.Errorf("String() = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestOptionsCompare(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		a, b runtime.EnqueueOption
		want bool
	}{
		{"same queue", runtime.Queue("a"), runtime.Queue("a"), true},
		{"other queue", runtime.Queue("a"), runtime.Queue("b"), false},
		{"same retries", runtime.Retries(2), runtime.Retries(2), true},
		{"same time", runtime.At(at), runtime.At(at), true},
		{"other time", runtime.At(at), runtime.At(at.Add(time.Second)), false},
		{"same duration, other option", runtime.Timeout(time.Second), runtime.Unique(time.Second), false},
		{"same string, other option", runtime.Queue("acme"), runtime.ForTenant("acme"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.a == tt.b; got != tt.want {
				t.Errorf("%v == %v is %t, want %t", tt.a, tt.b, got, tt.want)
			}
		})
	}
}
