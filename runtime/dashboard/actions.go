package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tenantgen/tenantgen/runtime"
)

// errReadOnly is what a read-only dashboard answers a POST with.
var errReadOnly = errors.New("tenantgen: dashboard: read-only: actions are off (Options.ReadOnly)")

// action serves POST /actions/{action}: it checks the CSRF token, does
// the action through the Inspector, which logs it, and sends the browser
// back to the page of the form with a message saying what happened.
func (h *handler) action(w http.ResponseWriter, r *http.Request) {
	if h.opts.ReadOnly {
		http.Error(w, errReadOnly.Error(), http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "tenantgen: dashboard: invalid form: "+err.Error(), http.StatusBadRequest)
		return
	}
	if !h.csrf.valid(r) {
		http.Error(w, "tenantgen: dashboard: missing or invalid CSRF token: reload the page and try again", http.StatusForbidden)
		return
	}
	do := r.PathValue("action")
	f := r.PostForm
	queue, id, tenant := f.Get("queue"), runtime.TaskID(f.Get("id")), f.Get("tenant")
	msg, err := h.do(r.Context(), do, queue, id, tenant)
	if errors.Is(err, errUnknownAction) {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	back := h.back(f.Get("back"))
	if err != nil {
		h.log.WarnContext(r.Context(), "dashboard: action failed", "action", do, "queue", queue, "task_id", id, "tenant", tenant, "err", err)
		back, _ = withQuery(back, "failed", err.Error())
	} else {
		if (do == "delete" || do == "cancel") && strings.HasPrefix(back, h.link("/tasks/")) {
			// The task's page is gone, or about to be.
			back = h.link("/tasks?queue=" + url.QueryEscape(queue))
		}
		back, _ = withQuery(back, "done", msg)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// errUnknownAction is do's error for an action it does not know.
var errUnknownAction = errors.New("tenantgen: dashboard: unknown action")

// do does an action and says what it did.
func (h *handler) do(ctx context.Context, do, queue string, id runtime.TaskID, tenant string) (string, error) {
	in := h.insp
	switch do {
	case "retry":
		return fmt.Sprintf("Task %s runs now.", id), in.RetryNow(ctx, queue, id)
	case "requeue":
		return fmt.Sprintf("Task %s is back in queue %s.", id, queue), in.Requeue(ctx, queue, id)
	case "requeue-all":
		n, err := in.RequeueAll(ctx, queue, tenant, nil)
		return fmt.Sprintf("Requeued %d dead task(s) of %s in queue %s.", n, tenant, queue), err
	case "delete":
		return fmt.Sprintf("Task %s deleted.", id), in.Delete(ctx, queue, id)
	case "cancel":
		st, err := in.Cancel(ctx, queue, id)
		if st == runtime.StateRunning {
			return fmt.Sprintf("Task %s was running: its worker is told to stop it.", id), err
		}
		return fmt.Sprintf("Task %s cancelled.", id), err
	case "pause", "resume":
		return h.pause(ctx, do == "pause", queue, tenant)
	}
	return "", fmt.Errorf("%w %q", errUnknownAction, do)
}

// pause pauses or resumes a tenant (in queue, or in every queue) or a
// queue.
func (h *handler) pause(ctx context.Context, pause bool, queue, tenant string) (string, error) {
	in := h.insp
	var queues []string
	where := "every queue"
	if queue != "" {
		queues, where = []string{queue}, "queue "+queue
	}
	switch {
	case tenant != "" && pause:
		return fmt.Sprintf("Tenant %s paused in %s.", tenant, where), in.PauseTenant(ctx, tenant, queues...)
	case tenant != "":
		return fmt.Sprintf("Tenant %s resumed in %s.", tenant, where), in.ResumeTenant(ctx, tenant, queues...)
	case queue != "" && pause:
		return fmt.Sprintf("Queue %s paused.", queue), in.PauseQueue(ctx, queue)
	case queue != "":
		return fmt.Sprintf("Queue %s resumed.", queue), in.ResumeQueue(ctx, queue)
	}
	return "", errors.New("tenantgen: dashboard: pause or resume what? The form names no tenant and no queue")
}

// back returns where to send the browser after an action: the page of
// the form, if it is a page of this dashboard, else the overview. A
// foreign URL is never followed, so that the form cannot be made into an
// open redirect.
func (h *handler) back(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(s, "//") || strings.Contains(s, "\\") ||
		!strings.HasPrefix(u.Path, h.base+"/") {
		return h.link("/")
	}
	return u.RequestURI()
}
