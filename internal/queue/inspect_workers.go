package queue

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// workersKey names the sorted set of worker processes, scored by their last
// heartbeat (Unix ms), which the Inspector lists workers from without
// scanning the keyspace. It has no hash tag: only single-key commands use
// it. Entries of workers gone for a day are dropped by each heartbeat.
func workersKey(prefix string) string { return prefix + ":ws" }

// workerStatus is the value of a worker's liveness key: what the Inspector
// shows of it.
type workerStatus struct {
	Host        string   `json:"host"`
	PID         int      `json:"pid"`
	Queues      []string `json:"queues"`
	Concurrency int      `json:"concurrency"`
	Started     int64    `json:"started"` // Unix ms
	Beat        int64    `json:"beat"`    // Unix ms of the heartbeat that wrote it
}

// newWorkerStatus describes a worker of queues.
func newWorkerStatus(queues []string, concurrency int) workerStatus {
	host, _ := os.Hostname()
	return workerStatus{Host: host, PID: os.Getpid(), Queues: queues, Concurrency: concurrency, Started: time.Now().UnixMilli()}
}

// WorkerInfo is a live worker process; runtime.WorkerInfo documents the
// fields.
type WorkerInfo struct {
	ID          string
	Host        string
	PID         int
	Queues      []string
	Concurrency int
	Started     time.Time
	LastBeat    time.Time
	Running     []RunningTask
}

// RunningTask is a task a worker runs.
type RunningTask struct {
	ID, Queue, Name, Tenant string
	Started                 time.Time
}

// Workers returns the live workers, by ID, with the tasks each runs in
// queues: the entries pending under its consumer in each partition.
func (c *Client) Workers(ctx context.Context, queues []string) ([]WorkerInfo, error) {
	list, err := c.workerList(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]*WorkerInfo{}
	set := map[string]bool{}
	for _, q := range queues {
		set[q] = true
	}
	for i := range list {
		byID[list[i].ID] = &list[i]
		for _, q := range list[i].Queues {
			set[q] = true
		}
	}
	running, err := c.running(ctx, slices.Sorted(maps.Keys(set)))
	if err != nil {
		return nil, err
	}
	for _, r := range running {
		if w := byID[r.worker]; w != nil {
			w.Running = append(w.Running, RunningTask{ID: r.env.ID, Queue: r.queue, Name: r.env.Name, Tenant: r.env.Tenant, Started: r.started})
		}
	}
	for i := range list {
		slices.SortFunc(list[i].Running, func(x, y RunningTask) int { return cmp.Or(x.Started.Compare(y.Started), cmp.Compare(x.ID, y.ID)) })
	}
	return list, nil
}

// workerList returns the live workers, by ID, as their liveness keys
// describe them.
func (c *Client) workerList(ctx context.Context) ([]WorkerInfo, error) {
	ids, err := c.rdb.ZRange(ctx, workersKey(c.cfg.Prefix), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("tenantgen: list workers: %w", err)
	}
	pipe := c.rdb.Pipeline()
	vals := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		vals[i] = pipe.Get(ctx, workerKey(c.cfg.Prefix, id))
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			return nil, fmt.Errorf("tenantgen: list workers: %w", err)
		}
	}
	var list []WorkerInfo
	for i, id := range ids {
		s, err := vals[i].Result()
		if err != nil {
			continue // gone: its liveness key expired
		}
		w := WorkerInfo{ID: id}
		var st workerStatus
		if strings.HasPrefix(s, "{") && json.Unmarshal([]byte(s), &st) == nil {
			w.Host, w.PID, w.Queues, w.Concurrency = st.Host, st.PID, st.Queues, st.Concurrency
			w.Started, w.LastBeat = unixMilli(st.Started), unixMilli(st.Beat)
		} else if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			w.LastBeat = unixMilli(ms) // a worker of an older release
		}
		list = append(list, w)
	}
	return list, nil
}

// runningEntry is a stream entry delivered to a worker.
type runningEntry struct {
	queue, entry, worker string
	part                 int
	env                  *Envelope
	interrupts           int
	started              time.Time // when it was delivered, from its idle time
}

// maxRunning bounds the entries in flight that one read of a partition
// looks at: far more than any fleet runs at once.
const maxRunning = 10000

// running returns the entries delivered to workers in queues, in every
// partition, by entry.
func (c *Client) running(ctx context.Context, queues []string) ([]runningEntry, error) {
	type cmds struct {
		queue   string
		part    int
		pending *redis.XPendingExtCmd
		entries *redis.XMessageSliceCmd
	}
	var all []cmds
	pipe := c.rdb.Pipeline()
	for _, q := range queues {
		for i := range c.partitions(q) {
			k := queueKeys(c.cfg.Prefix, q, i)
			all = append(all, cmds{
				queue:   q,
				part:    i,
				pending: pipe.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: k.stream, Group: group, Start: "-", End: "+", Count: maxRunning}),
				entries: pipe.XRangeN(ctx, k.stream, "-", "+", maxRunning),
			})
		}
	}
	if len(all) == 0 {
		return nil, nil
	}
	now := time.Now()
	if _, err := pipe.Exec(ctx); err != nil && !isNoGroup(err) && err != redis.Nil {
		return nil, fmt.Errorf("tenantgen: read running tasks: %w", err)
	}
	var out []runningEntry
	for _, cm := range all {
		msgs := map[string]redis.XMessage{}
		for _, m := range cm.entries.Val() {
			msgs[m.ID] = m
		}
		for _, p := range cm.pending.Val() {
			m, ok := msgs[p.ID]
			if !ok {
				continue // settled between the two reads
			}
			data, _ := m.Values[fieldEnvelope].(string)
			env, err := decodeEnvelope(data)
			if err != nil {
				continue
			}
			intr := 0
			if s, ok := m.Values[fieldInterrupts].(string); ok {
				intr, _ = strconv.Atoi(s)
			}
			out = append(out, runningEntry{queue: cm.queue, part: cm.part, entry: p.ID, worker: p.Consumer, env: env, interrupts: intr, started: now.Add(-p.Idle)})
		}
	}
	return out, nil
}

// WorkerQueues returns the queues that live workers serve, sorted.
func (c *Client) WorkerQueues(ctx context.Context) ([]string, error) {
	ws, err := c.workerList(ctx)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, w := range ws {
		for _, q := range w.Queues {
			set[q] = true
		}
	}
	return slices.Sorted(maps.Keys(set)), nil
}
