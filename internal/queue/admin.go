package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Stats counts the tasks of a queue; runtime.QueueStats documents the
// fields.
type Stats struct {
	Ready, Running, Scheduled, Dead int64
}

// Stats counts the tasks of queue.
func (c *Client) Stats(ctx context.Context, queue string) (Stats, error) {
	k := queueKeys(c.cfg.Prefix, queue)
	pipe := c.rdb.Pipeline()
	xlen := pipe.XLen(ctx, k.stream)
	pending := pipe.XPending(ctx, k.stream, group)
	delayed := pipe.ZCard(ctx, k.delayed)
	dead := pipe.ZCard(ctx, k.dead)
	if _, err := pipe.Exec(ctx); err != nil && !isNoGroup(err) {
		return Stats{}, fmt.Errorf("tenantgen: stats of queue %q: %w", queue, err)
	}
	var running int64
	if p, err := pending.Result(); err == nil {
		running = p.Count
	}
	return Stats{Ready: xlen.Val() - running, Running: running, Scheduled: delayed.Val(), Dead: dead.Val()}, nil
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
// newest first; limit must be positive.
func (c *Client) DeadTasks(ctx context.Context, queue string, limit int) ([]DeadTask, error) {
	k := queueKeys(c.cfg.Prefix, queue)
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
	k := queueKeys(c.cfg.Prefix, queue)
	s, err := c.rdb.HGet(ctx, k.deadSet, id).Result()
	if errors.Is(err, redis.Nil) {
		return fmt.Errorf("tenantgen: no dead task %q in queue %q", id, queue)
	} else if err != nil {
		return fmt.Errorf("tenantgen: requeue dead task %s: %w", id, err)
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
	n, err := requeueDeadScript.Run(ctx, c.rdb, []string{k.dead, k.deadSet, k.stream}, id, data).Int()
	switch {
	case err != nil:
		return fmt.Errorf("tenantgen: requeue dead task %s: %w", id, err)
	case n == 0:
		return fmt.Errorf("tenantgen: no dead task %q in queue %q", id, queue)
	}
	return nil
}
