package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// Stats counts the tasks of a queue; runtime.QueueStats documents the
// fields.
type Stats struct {
	Ready, Running, Scheduled, Dead int64
}

// readyScript counts the ready tasks in the lanes of a partition: those
// of the lanes in the ring, held, full and wait. It costs one LLEN per
// lane with ready tasks; idle lanes cost nothing.
//
// KEYS: ring. ARGV: base.
var readyScript = redis.NewScript(`
local base = ARGV[1]
local n = 0
local function add(lanes)
	for _, l in ipairs(lanes) do n = n + redis.call('LLEN', base .. 'l:' .. l) end
end
add(redis.call('LRANGE', KEYS[1], 0, -1))
add(redis.call('SMEMBERS', base .. 'held'))
add(redis.call('SMEMBERS', base .. 'full'))
add(redis.call('ZRANGE', base .. 'wait', 0, -1))
return n
`)

// Stats counts the tasks of queue, over all its partitions.
func (c *Client) Stats(ctx context.Context, queue string) (Stats, error) {
	var st Stats
	for i := range c.partitions(queue) {
		k := queueKeys(c.cfg.Prefix, queue, i)
		pipe := c.rdb.Pipeline()
		xlen := pipe.XLen(ctx, k.stream)
		pending := pipe.XPending(ctx, k.stream, group)
		delayed := pipe.ZCard(ctx, k.delayed)
		dead := pipe.ZCard(ctx, k.dead)
		ready := readyScript.Eval(ctx, pipe, []string{k.ring}, k.base)
		if _, err := pipe.Exec(ctx); err != nil && !isNoGroup(err) {
			return Stats{}, fmt.Errorf("tenantgen: stats of queue %q: %w", queue, err)
		}
		var running int64
		if p, err := pending.Result(); err == nil {
			running = p.Count
		}
		lanes, _ := ready.Int64()
		// Entries that no worker read yet were written by the old layout.
		st.Ready += lanes + xlen.Val() - running
		st.Running += running
		st.Scheduled += delayed.Val()
		st.Dead += dead.Val()
	}
	return st, nil
}

// DeadTask is a task in the dead letter set; runtime.DeadTask documents
// the fields.
type DeadTask struct {
	ID       string
	Name     string
	Tenant   string
	Queue    string
	Args     []byte
	Attempts int
	Error    string
	Enqueued time.Time
	Died     time.Time
}

// deadRecord is a DeadTask as stored.
type deadRecord struct {
	Envelope string `json:"e"`
	Error    string `json:"err"`
	Attempts int    `json:"n"`
	Died     int64  `json:"died"`
}

// DeadTasks returns up to limit tasks of the dead letter set of queue,
// over all its partitions, newest first; limit must be positive.
func (c *Client) DeadTasks(ctx context.Context, queue string, limit int) ([]DeadTask, error) {
	var list []DeadTask
	for i := range c.partitions(queue) {
		got, err := c.deadTasks(ctx, queueKeys(c.cfg.Prefix, queue, i), queue, limit)
		if err != nil {
			return nil, err
		}
		list = append(list, got...)
	}
	if c.partitions(queue) > 1 {
		slices.SortStableFunc(list, func(x, y DeadTask) int { return y.Died.Compare(x.Died) })
		list = list[:min(len(list), limit)]
	}
	return list, nil
}

// deadTasks returns up to limit tasks of the dead letter set of one
// partition of queue, newest first.
func (c *Client) deadTasks(ctx context.Context, k keys, queue string, limit int) ([]DeadTask, error) {
	ids, err := c.rdb.ZRevRange(ctx, k.dead, 0, int64(limit)-1).Result()
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	recs, err := c.rdb.HMGet(ctx, k.deadSet, ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("tenantgen: dead tasks of queue %q: %w", queue, err)
	}
	var list []DeadTask
	for i, r := range recs {
		s, ok := r.(string)
		if !ok {
			continue // trimmed meanwhile
		}
		var rec deadRecord
		if err := json.Unmarshal([]byte(s), &rec); err != nil {
			return nil, fmt.Errorf("tenantgen: dead task %s: %w", ids[i], err)
		}
		d := DeadTask{ID: ids[i], Queue: queue, Attempts: rec.Attempts, Error: rec.Error, Died: unixMilli(rec.Died), Args: []byte(rec.Envelope)}
		if env, err := decodeEnvelope(rec.Envelope); err == nil {
			d.Name, d.Tenant, d.Args, d.Enqueued = env.Name, env.Tenant, env.Args, unixMilli(env.Enqueued)
		}
		list = append(list, d)
	}
	return list, nil
}

// RequeueDead moves the dead task id of queue back to its queue, with a
// fresh set of retries.
func (c *Client) RequeueDead(ctx context.Context, queue, id string) error {
	var k keys
	var s string
	found := false
	for i := range c.partitions(queue) {
		k = queueKeys(c.cfg.Prefix, queue, i)
		var err error
		s, err = c.rdb.HGet(ctx, k.deadSet, id).Result()
		if err == nil {
			found = true
			break
		}
		if !errors.Is(err, redis.Nil) {
			return fmt.Errorf("tenantgen: requeue dead task %s: %w", id, err)
		}
	}
	if !found {
		return fmt.Errorf("%w: no dead task %q in queue %q", ErrNotFound, id, queue)
	}
	var rec deadRecord
	if err := json.Unmarshal([]byte(s), &rec); err != nil {
		return fmt.Errorf("tenantgen: requeue dead task %s: %w", id, err)
	}
	env, err := decodeEnvelope(rec.Envelope)
	if err != nil {
		return fmt.Errorf("tenantgen: requeue dead task %s: %w", id, err)
	}
	if err := c.requeueReset(env); err != nil {
		return fmt.Errorf("tenantgen: requeue dead task %s: %w", id, err)
	}
	data, err := env.encode()
	if err != nil {
		return err
	}
	n, err := requeueDeadScript.Run(ctx, c.rdb, []string{k.dead}, k.base, id, routeKey(env.Tenant, env.Name), data).Int()
	switch {
	case err != nil:
		return fmt.Errorf("tenantgen: requeue dead task %s: %w", id, err)
	case n == 0:
		return fmt.Errorf("%w: no dead task %q in queue %q", ErrNotFound, id, queue)
	}
	return nil
}
