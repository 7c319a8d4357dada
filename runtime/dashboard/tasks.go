package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/tenantgen/tenantgen/runtime"
)

// taskList is a page of tasks of one queue in one state, as the tenant
// and tasks pages show it, with the tabs and filters that pick it.
type taskList struct {
	Queue  string
	State  runtime.TaskState
	Tenant string // only this tenant's tasks, "" for all
	Task   string // only tasks of this name
	States []runtime.TaskState
	Queues []string
	Tasks  []runtime.TaskInfo
	Pager  pager
}

// taskList reads the page of tasks the request asks for.
func (h *handler) taskList(r *http.Request, queues []string, tenant, queue string, state runtime.TaskState) (taskList, error) {
	l := taskList{Queue: queue, State: state, Tenant: tenant, Task: r.URL.Query().Get("task"), States: runtime.States, Queues: queues}
	if l.Queue == "" {
		return l, nil
	}
	page, offset := h.pageOf(r)
	res, err := h.insp.Tasks(r.Context(), runtime.TaskQuery{
		Queue: queue, State: state, Tenant: tenant, Task: l.Task, Offset: offset, Limit: h.opts.PageSize,
	})
	if err != nil {
		return l, err
	}
	l.Tasks = res.Tasks
	l.Pager, err = h.newPager(r, "Tasks", page, len(res.Tasks), res.Next > 0)
	return l, err
}

// tasks serves the tasks of a queue in a state, filtered by tenant and
// task name.
func (h *handler) tasks(r *http.Request) (*view, error) {
	q := r.URL.Query()
	state := runtime.TaskState(q.Get("state"))
	if !validState(state) {
		state = runtime.StateReady
	}
	qs, err := h.queueNames(r.Context())
	if err != nil {
		return nil, err
	}
	queue := q.Get("queue")
	if queue == "" && len(qs) > 0 {
		queue = qs[0]
	}
	l, err := h.taskList(r, qs, strings.TrimSpace(q.Get("tenant")), queue, state)
	if err != nil {
		return nil, err
	}
	return &view{Page: "tasks", Title: "Tasks", Data: l}, nil
}

// taskData is a task's page.
type taskData struct {
	Task    runtime.TaskInfo
	Args    string // indented JSON
	Error   string // the last error, without a panic's stack
	Headers []string
}

// task serves one task in full.
func (h *handler) task(r *http.Request) (*view, error) {
	queue, id := r.PathValue("queue"), r.PathValue("id")
	t, err := h.insp.Task(r.Context(), queue, runtime.TaskID(id))
	if errors.Is(err, runtime.ErrTaskNotFound) {
		return nil, fmt.Errorf("tenantgen: dashboard: task %q in queue %q: %w (it may have succeeded and been deleted)", id, queue, errNotFound)
	}
	if err != nil {
		return nil, err
	}
	d := taskData{Task: t, Args: indentJSON(t.Args), Error: t.Error}
	if t.Stack != "" {
		// A panic's error ends with its stack, which has a section of
		// its own.
		if before, _, ok := strings.Cut(t.Error, t.Stack); ok {
			d.Error = strings.TrimSpace(before)
		}
	}
	for k, v := range t.Headers {
		d.Headers = append(d.Headers, k+": "+v)
	}
	slices.Sort(d.Headers)
	return &view{Page: "task", Title: "Task " + id, Data: d}, nil
}

// indentJSON returns b indented, or as it is if it is not JSON.
func indentJSON(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}
