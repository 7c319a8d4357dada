package queue

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Task states, as the Inspector reports them.
const (
	StateReady     = "ready"
	StateScheduled = "scheduled"
	StateRetrying  = "retrying"
	StateRunning   = "running"
	StateDead      = "dead"
)

// Task is one task found by the Inspector, with where it is.
type Task struct {
	Env        *Envelope // nil for a dead record without a readable envelope
	ID         string
	Queue      string
	Partition  int
	State      string
	Interrupts int
	Error      string
	Due        time.Time // scheduled, retrying
	Started    time.Time // running
	Died       time.Time // dead
	Worker     string    // running

	lane   string // ready: its lane
	elem   string // ready: its lane element
	member string // scheduled, retrying: its member of the delayed set
	order  int64  // within its partition's listing
}

// TaskFilter selects the tasks of ListTasks.
type TaskFilter struct {
	Queue, State, Tenant, Name string // Tenant "-": public tasks only
	Offset, Limit              int
}

// scanBudget bounds the tasks that one page of a filtered listing reads in
// a partition: a filter by task name (or by state, for the delayed set)
// reads tasks until the page is full or this many were read.
const scanBudget = 100000

// chunk is how many tasks one read of a listing takes.
const chunk = 500

// match reports whether a task of env passes the tenant and name filters.
func (f TaskFilter) match(env *Envelope) bool {
	if env == nil {
		return f.Tenant == "" && f.Name == ""
	}
	switch {
	case f.Name != "" && env.Name != f.Name:
		return false
	case f.Tenant == "-":
		return env.Tenant == ""
	case f.Tenant != "":
		return env.Tenant == f.Tenant
	}
	return true
}

// partsOf returns the partitions a listing of f reads: the tenant's only,
// when it filters by one.
func (c *Client) partsOf(f TaskFilter) []int {
	switch {
	case f.Tenant == "-":
		return []int{0}
	case f.Tenant != "":
		return []int{partitionOf(f.Tenant, c.partitions(f.Queue))}
	}
	parts := make([]int, c.partitions(f.Queue))
	for i := range parts {
		parts[i] = i
	}
	return parts
}

// ListTasks returns the tasks of f's window and whether more follow. Each
// partition is read up to the end of the window, and the partitions are
// merged in the order of the state: ready by lane, delayed by due time,
// running by start, dead newest first.
func (c *Client) ListTasks(ctx context.Context, f TaskFilter) ([]Task, bool, error) {
	want := f.Offset + f.Limit + 1
	var all []Task
	if f.State == StateRunning {
		run, err := c.running(ctx, []string{f.Queue})
		if err != nil {
			return nil, false, err
		}
		for _, r := range run {
			if f.match(r.env) {
				all = append(all, runningTask(r))
			}
		}
	} else {
		for _, p := range c.partsOf(f) {
			k := queueKeys(c.cfg.Prefix, f.Queue, p)
			var got []Task
			var err error
			switch f.State {
			case StateReady:
				got, err = c.listReady(ctx, k, p, f, want)
			case StateScheduled, StateRetrying:
				got, err = c.listDelayed(ctx, k, p, f, want)
			case StateDead:
				got, err = c.listDead(ctx, k, p, f, want)
			default:
				return nil, false, fmt.Errorf("tenantgen: no task state %q", f.State)
			}
			if err != nil {
				return nil, false, fmt.Errorf("tenantgen: list %s tasks of queue %q: %w", f.State, f.Queue, err)
			}
			all = append(all, got...)
		}
	}
	slices.SortStableFunc(all, func(x, y Task) int {
		switch f.State {
		case StateReady:
			return cmp.Or(cmp.Compare(x.lane, y.lane), cmp.Compare(x.order, y.order))
		case StateScheduled, StateRetrying:
			return cmp.Or(x.Due.Compare(y.Due), cmp.Compare(x.ID, y.ID))
		case StateRunning:
			return cmp.Or(x.Started.Compare(y.Started), cmp.Compare(x.ID, y.ID))
		}
		return cmp.Or(y.Died.Compare(x.Died), cmp.Compare(x.ID, y.ID))
	})
	if f.Offset >= len(all) {
		return nil, false, nil
	}
	end := min(f.Offset+f.Limit, len(all))
	return all[f.Offset:end], len(all) > end, nil
}

// runningTask returns a running entry as a Task.
func runningTask(r runningEntry) Task {
	return Task{Env: r.env, ID: r.env.ID, Queue: r.queue, Partition: r.part, State: StateRunning, Interrupts: r.interrupts,
		Error: r.env.Error, Started: r.started, Worker: r.worker}
}

// laneScript returns the lanes with ready tasks of a partition, sorted, and
// their lengths.
//
// KEYS: ring. ARGV: base. It returns {lane, length, lane, length, ...}.
var laneScript = redis.NewScript(lanesLua + `
local base = ARGV[1]
local lanes = readyLanes(base)
table.sort(lanes)
local out = {}
for _, l in ipairs(lanes) do
	out[#out + 1] = l
	out[#out + 1] = redis.call('LLEN', base .. 'l:' .. l)
end
return out
`)

// lane is a lane with ready tasks.
type lane struct {
	name string
	n    int64
}

// lanes returns the lanes with ready tasks of a partition, sorted by
// name, those of tenant only unless it is "" ("-": the public lane).
func (c *Client) lanes(ctx context.Context, k keys, tenant string) ([]lane, error) {
	vals, err := laneScript.Run(ctx, c.rdb, []string{k.ring}, k.base).Slice()
	if err != nil {
		return nil, err
	}
	var out []lane
	for i := 0; i+1 < len(vals); i += 2 {
		name, _ := vals[i].(string)
		if tenant != "" {
			t, _, _ := strings.Cut(name, ":")
			if t != tenant {
				continue
			}
		}
		out = append(out, lane{name: name, n: asInt(vals[i+1])})
	}
	return out, nil
}

// splitElem splits a lane element into its interrupt count and envelope.
func splitElem(elem string) (int, string) {
	i := strings.IndexByte(elem, '{')
	if i <= 0 {
		return 0, elem
	}
	n := 0
	for _, ch := range elem[:i] {
		if ch < '0' || ch > '9' {
			return 0, elem
		}
		n = n*10 + int(ch-'0')
	}
	return n, elem[i:]
}

// readyTask returns a lane element as a Task.
func readyTask(queue string, part int, ln string, pos int64, elem string) Task {
	intr, data := splitElem(elem)
	t := Task{Queue: queue, Partition: part, State: StateReady, Interrupts: intr, lane: ln, elem: elem, order: pos}
	if env, err := decodeEnvelope(data); err == nil {
		t.Env, t.ID, t.Error = env, env.ID, env.Error
	}
	return t
}

// listReady returns up to want ready tasks of a partition matching f, lane
// by lane. Without a name filter it reads only the lanes' lengths and the
// elements it returns.
func (c *Client) listReady(ctx context.Context, k keys, part int, f TaskFilter, want int) ([]Task, error) {
	lanes, err := c.lanes(ctx, k, f.Tenant)
	if err != nil {
		return nil, err
	}
	var out []Task
	read := 0
	for _, l := range lanes {
		if len(out) >= want || read >= scanBudget {
			break
		}
		if _, task, ok := strings.Cut(l.name, ":"); ok && f.Name != "" && task != f.Name {
			continue // a lane of another task
		}
		for start := int64(0); start < l.n && len(out) < want && read < scanBudget; start += chunk {
			stop := start + chunk - 1
			if f.Name == "" {
				stop = min(stop, start+int64(want-len(out))-1)
			}
			elems, err := c.rdb.LRange(ctx, k.lane(l.name), start, stop).Result()
			if err != nil {
				return nil, err
			}
			read += len(elems)
			for i, e := range elems {
				t := readyTask(f.Queue, part, l.name, start+int64(i), e)
				if f.match(t.Env) {
					out = append(out, t)
				}
			}
			if len(elems) == 0 {
				break
			}
		}
	}
	return out, nil
}

// delayedTask returns a member of the delayed set as a Task.
func delayedTask(queue string, part int, member string, due float64) Task {
	data := member
	if i := strings.IndexByte(member, '{'); i >= 0 {
		data = member[i:]
	}
	t := Task{Queue: queue, Partition: part, State: StateScheduled, Due: time.UnixMilli(int64(due)), member: member}
	if env, err := decodeEnvelope(data); err == nil {
		t.Env, t.ID, t.Error = env, env.ID, env.Error
		if env.Attempt > 0 {
			t.State = StateRetrying
		}
	}
	return t
}

// listDelayed returns up to want scheduled or retrying tasks of a
// partition matching f, by due time.
func (c *Client) listDelayed(ctx context.Context, k keys, part int, f TaskFilter, want int) ([]Task, error) {
	var out []Task
	for start := int64(0); len(out) < want && start < scanBudget; start += chunk {
		zs, err := c.rdb.ZRangeWithScores(ctx, k.delayed, start, start+chunk-1).Result()
		if err != nil {
			return nil, err
		}
		for _, z := range zs {
			m, _ := z.Member.(string)
			t := delayedTask(f.Queue, part, m, z.Score)
			if t.State == f.State && f.match(t.Env) {
				out = append(out, t)
			}
		}
		if len(zs) < chunk {
			break
		}
	}
	return out, nil
}

// deadTask returns a dead record as a Task.
func deadTask(queue string, part int, id, rec string) (Task, error) {
	var r deadRecord
	if err := json.Unmarshal([]byte(rec), &r); err != nil {
		return Task{}, fmt.Errorf("dead task %s: %w", id, err)
	}
	t := Task{ID: id, Queue: queue, Partition: part, State: StateDead, Error: r.Error, Died: unixMilli(r.Died)}
	if env, err := decodeEnvelope(r.Envelope); err == nil {
		t.Env = env
		env.Attempt = max(env.Attempt, r.Attempts)
	}
	return t, nil
}

// listDead returns up to want dead tasks of a partition matching f, newest
// first, from the tenant's index when f names a tenant.
func (c *Client) listDead(ctx context.Context, k keys, part int, f TaskFilter, want int) ([]Task, error) {
	index := k.dead
	if f.Tenant != "" {
		index = k.deadOf(f.Tenant)
	}
	var out []Task
	for start := int64(0); len(out) < want && start < scanBudget; start += chunk {
		stop := start + chunk - 1
		if f.Name == "" {
			stop = min(stop, start+int64(want-len(out))-1)
		}
		ids, err := c.rdb.ZRevRange(ctx, index, start, stop).Result()
		if err != nil || len(ids) == 0 {
			return out, err
		}
		recs, err := c.rdb.HMGet(ctx, k.deadSet, ids...).Result()
		if err != nil {
			return nil, err
		}
		for i, r := range recs {
			s, ok := r.(string)
			if !ok {
				continue // trimmed meanwhile
			}
			t, err := deadTask(f.Queue, part, ids[i], s)
			if err != nil {
				return nil, err
			}
			if f.match(t.Env) {
				out = append(out, t)
			}
		}
		if int64(len(ids)) < stop-start+1 {
			break
		}
	}
	return out, nil
}
