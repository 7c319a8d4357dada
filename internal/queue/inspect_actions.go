package queue

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// promoteScript makes a delayed task ready now: it leaves the delayed set
// and joins the tail of its lane, as the forwarder would move it.
//
// KEYS: delayed. ARGV: base, member. It returns 1, or 0 if the member is
// no longer delayed (it fell due, or was deleted).
var promoteScript = redis.NewScript(laneLua + `
local base, m = ARGV[1], ARGV[2]
if redis.call('ZREM', KEYS[1], m) == 0 then return 0 end
local p = string.find(m, '{', 1, true)
if p == 1 then
	push(base, routeEnvelope(base, m), m, false)
elseif p then
	push(base, route(base, string.sub(m, 1, p - 1)), string.sub(m, p), false)
else
	push(base, '-', m, false)
end
return 1
`)

// removeReadyScript deletes one ready task from its lane. A lane left
// empty leaves the ring (or held, full, wait) and its credit, keeping the
// lane invariant (laneLua).
//
// KEYS: the lane's list. ARGV: base, lane, element. It returns 1, or 0 if
// the element is no longer in the lane (a worker took it).
var removeReadyScript = redis.NewScript(`
local base, lane = ARGV[1], ARGV[2]
if redis.call('LREM', KEYS[1], 1, ARGV[3]) == 0 then return 0 end
if redis.call('LLEN', KEYS[1]) == 0 then
	redis.call('LREM', base .. 'r', 0, lane)
	redis.call('SREM', base .. 'held', lane)
	redis.call('SREM', base .. 'full', lane)
	redis.call('ZREM', base .. 'wait', lane)
	redis.call('HDEL', base .. 'cr', lane)
end
return 1
`)

// removeDeadScript deletes a dead task and its index entries.
//
// KEYS: dead. ARGV: base, task ID. It returns 1, or 0 if the task is no
// longer dead.
var removeDeadScript = redis.NewScript(deadLua + `
local base = ARGV[1]
if redis.call('ZREM', KEYS[1], ARGV[2]) == 0 then return 0 end
deadUnindex(KEYS[1], base .. 'dh', {ARGV[2]})
redis.call('HDEL', base .. 'dh', ARGV[2])
return 1
`)

// gone is the error of an action whose task moved on between finding it
// and acting on it.
func gone(t Task, now string) error {
	return fmt.Errorf("%w: task %q of queue %q is no longer %s (%s)", ErrNotFound, t.ID, t.Queue, t.State, now)
}

// Promote makes the delayed task t (scheduled or retrying) ready now.
func (c *Client) Promote(ctx context.Context, t Task) error {
	k := queueKeys(c.cfg.Prefix, t.Queue, t.Partition)
	n, err := promoteScript.Run(ctx, c.rdb, []string{k.delayed}, k.base, t.member).Int()
	switch {
	case err != nil:
		return fmt.Errorf("tenantgen: retry task %q now: %w", t.ID, err)
	case n == 0:
		return gone(t, "it fell due, or was deleted")
	}
	return nil
}

// Remove deletes the ready, delayed or dead task t. A running task is not
// Remove's to delete.
func (c *Client) Remove(ctx context.Context, t Task) error {
	k := queueKeys(c.cfg.Prefix, t.Queue, t.Partition)
	var n int
	var err error
	why := ""
	switch t.State {
	case StateReady:
		n, err = removeReadyScript.Run(ctx, c.rdb, []string{k.lane(t.lane)}, k.base, t.lane, t.elem).Int()
		why = "a worker took it"
	case StateScheduled, StateRetrying:
		var m int64
		m, err = c.rdb.ZRem(ctx, k.delayed, t.member).Result()
		n, why = int(m), "it fell due"
	case StateDead:
		n, err = removeDeadScript.Run(ctx, c.rdb, []string{k.dead}, k.base, t.ID).Int()
		why = "it was requeued or trimmed"
	default:
		return fmt.Errorf("tenantgen: delete task %q: a %s task cannot be deleted", t.ID, t.State)
	}
	switch {
	case err != nil:
		return fmt.Errorf("tenantgen: delete task %q: %w", t.ID, err)
	case n == 0:
		return gone(t, why)
	}
	return nil
}

// DeadIDs returns up to n IDs of the dead tasks of queue, newest first:
// of tenant only unless it is "" ("-": public tasks), from the tenant's
// index. With partitions and no tenant, each partition gives up to n.
func (c *Client) DeadIDs(ctx context.Context, queue, tenant string, n int) ([]string, error) {
	f := TaskFilter{Queue: queue, Tenant: tenant}
	var ids []string
	for _, p := range c.partsOf(f) {
		k := queueKeys(c.cfg.Prefix, queue, p)
		index := k.dead
		if tenant != "" {
			index = k.deadOf(tenant)
		}
		got, err := c.rdb.ZRevRange(ctx, index, 0, int64(n)-1).Result()
		if err != nil {
			return nil, fmt.Errorf("tenantgen: dead tasks of queue %q: %w", queue, err)
		}
		ids = append(ids, got...)
	}
	return ids, nil
}

// DeadCount returns how many dead tasks of tenant ("" for all, "-" for
// public tasks) queue holds.
func (c *Client) DeadCount(ctx context.Context, queue, tenant string) (int64, error) {
	f := TaskFilter{Queue: queue, Tenant: tenant}
	var total int64
	for _, p := range c.partsOf(f) {
		k := queueKeys(c.cfg.Prefix, queue, p)
		index := k.dead
		if tenant != "" {
			index = k.deadOf(tenant)
		}
		n, err := c.rdb.ZCard(ctx, index).Result()
		if err != nil {
			return 0, fmt.Errorf("tenantgen: dead tasks of queue %q: %w", queue, err)
		}
		total += n
	}
	return total, nil
}
