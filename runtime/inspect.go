package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/tenantgen/tenantgen/internal/queue"
)

// ErrTaskNotFound is wrapped by the errors of the Inspector when no task of
// the given ID is in the queue in a state the call looks at.
var ErrTaskNotFound = queue.ErrNotFound

// ErrTaskState is wrapped by the errors of Inspector actions that do not
// apply to the state the task is in, such as deleting a running task
// (cancel it instead) or retrying a ready one.
var ErrTaskState = errors.New("tenantgen: the action does not apply to the task in its state")

// Inspector reads the state of an App's queues, workers and scheduler, and
// acts on single tasks, tenants and queues: the Go API that the dashboard
// and the tenantctl command are built on. Every action is an atomic script
// in Redis, safe while workers run (no task is lost or run twice by it), and
// is logged through Config.Logger. It is safe for concurrent use.
type Inspector struct {
	app *App
}

// Inspector returns the App's Inspector. It costs nothing until used: an
// App needs no Registry or worker to be inspected.
func (a *App) Inspector() *Inspector { return &Inspector{app: a} }

// TaskState is where a task is in its life.
type TaskState string

// The states of a task, as the Inspector reports and filters them.
const (
	StateReady     TaskState = "ready"     // in its lane, waiting for a worker
	StateScheduled TaskState = "scheduled" // delayed, not attempted yet
	StateRetrying  TaskState = "retrying"  // failed, waiting for its next attempt
	StateRunning   TaskState = "running"   // delivered to a worker, not settled yet
	StateDead      TaskState = "dead"      // in the dead letter set
)

// States lists every TaskState, in the order of a task's life.
var States = []TaskState{StateReady, StateScheduled, StateRetrying, StateRunning, StateDead}

// QueueInfo is a queue as Queues reports it: its tasks by state, summed
// over its partitions.
type QueueInfo struct {
	Name       string
	Partitions int // 1 unless Config.QueuePartitions splits it

	Ready     int64
	Scheduled int64 // delayed tasks not attempted yet; every delayed task when Retrying is -1
	Retrying  int64 // tasks waiting for a retry; -1 when the delayed set is too large to split (see docs/queue.md)
	Running   int64
	Dead      int64

	OldestReady   time.Duration // how long the oldest ready task has waited since it became due, as App.OldestReady reads it; 0 without ready tasks
	Paused        bool          // the whole queue is paused
	PausedTenants int           // tenants paused in the queue
	Lanes         int           // lanes with ready tasks: tenants, public tasks, limited tasks of tenants
}

// Queues reports every queue the App knows (Config.Queues,
// Config.DefaultQueue and the queues of the registered tasks) and every
// other queue named in queues, sorted by name.
func (in *Inspector) Queues(ctx context.Context, queues ...string) ([]QueueInfo, error) {
	return in.queues(ctx, queues)
}

// TenantSort orders the tenants of a TenantPage.
type TenantSort string

// The orders of Tenants; each breaks ties by tenant ID.
const (
	ByBacklog  TenantSort = "backlog"  // most ready, scheduled and retrying tasks first (the default)
	ByFailures TenantSort = "failures" // most failed attempts in the last hour first
	ByDead     TenantSort = "dead"     // most dead tasks first
	ByRunning  TenantSort = "running"  // most running tasks first
	ByID       TenantSort = "id"       // by tenant ID
)

// TenantQuery selects a page of tenants for Tenants.
type TenantQuery struct {
	Queue  string     // only this queue; "": every queue the App knows
	Prefix string     // only tenants whose ID starts with it
	Sort   TenantSort // "": ByBacklog
	Offset int        // tenants to skip, in Sort order
	Limit  int        // tenants in the page; 0 or less: 50
}

// TenantInfo is one tenant's tasks, summed over the queues of the query.
// Only tenants with something to show are listed: tasks in any state,
// failures in the last hour, a pause or limits of their own.
type TenantInfo struct {
	ID        string
	Ready     int64
	Scheduled int64 // delayed and retrying; -1 when a delayed set was too large to count (see docs/queue.md)
	Retrying  int64 // of Scheduled, the retries; -1 as Scheduled
	Running   int64
	Dead      int64
	Failures  int64 // failed attempts in the last hour, as workers report them with their heartbeats

	PausedIn []string          // the queues the tenant is paused in, sorted
	Limits   map[string]Limits // by queue, the tenant's own limits (SetTenantLimits); nil without any
}

// Backlog is the tenant's tasks waiting to run: ready, scheduled and
// retrying.
func (t TenantInfo) Backlog() int64 { return t.Ready + max(t.Scheduled, 0) }

// TenantPage is one page of Tenants.
type TenantPage struct {
	Tenants []TenantInfo
	Total   int // tenants matching the query, over all pages
	Next    int // Offset of the next page; 0 on the last page
}

// Tenants reports the tenants of the query's queues, sorted and paged. It
// reads each queue in a few pipelined round trips whatever the number of
// tenants (see docs/queue.md for what each count costs).
func (in *Inspector) Tenants(ctx context.Context, q TenantQuery) (TenantPage, error) {
	return in.tenants(ctx, q)
}

// TaskQuery selects a page of tasks for Tasks.
type TaskQuery struct {
	Queue  string    // required
	State  TaskState // required
	Tenant string    // only this tenant's tasks; "-": only public tasks
	Task   string    // only tasks of this name
	Offset int       // matching tasks to skip
	Limit  int       // tasks in the page; 0 or less: 50, at most 1,000
}

// TaskInfo is one task as the Inspector reports it.
type TaskInfo struct {
	ID        TaskID
	Queue     string
	Partition int
	State     TaskState
	Name      string
	Tenant    string          // "" for a public task
	Args      json.RawMessage // the encoded arguments, as JSON
	Headers   map[string]string

	Attempts   int           // failed attempts so far
	Retries    int           // retries allowed
	Interrupts int           // workers that died running the current attempt
	Timeout    time.Duration // per attempt; 0: the worker's default
	Deadline   time.Time     // zero: none
	Error      string        // the last attempt's error; a panic's includes its stack
	Stack      string        // the panic's stack, when the last error was a panic (also in Error)

	Enqueued time.Time // first enqueue
	Due      time.Time // scheduled and retrying: when it runs
	Started  time.Time // running: when its worker read it
	Died     time.Time // dead: when it was given up
	Worker   string    // running: the worker process running it
}

// TaskPage is one page of Tasks.
type TaskPage struct {
	Tasks []TaskInfo
	Next  int // Offset of the next page; 0 on the last page
}

// Tasks returns a page of the tasks of a queue in one state, filtered by
// tenant and task name. Ready tasks are listed lane by lane (first the
// lanes of Tenant, when set), each in the order it runs in; scheduled and
// retrying ones by due time; running ones by entry; dead ones newest first.
func (in *Inspector) Tasks(ctx context.Context, q TaskQuery) (TaskPage, error) {
	return in.tasks(ctx, q)
}

// Task returns the task id of queue in full, wherever it is; an error
// wrapping ErrTaskNotFound if it is in none of its states (it may have
// succeeded and been deleted). Dead and running tasks are found at once;
// a scheduled or ready task is found by a scan that Redis serves in small
// steps, so it costs time with a large backlog, never a blocked Redis.
func (in *Inspector) Task(ctx context.Context, queue string, id TaskID) (TaskInfo, error) {
	return in.task(ctx, queue, id)
}
