package queue

import (
	"context"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"
)

// resumeQueueScript resumes a paused partition and wakes a worker.
//
// KEYS: paused flag. ARGV: base.
var resumeQueueScript = redis.NewScript(laneLua + `
redis.call('DEL', KEYS[1])
wake(ARGV[1])
return 1
`)

// resumeTenantScript resumes a tenant in a partition: it leaves the set of
// paused tenants, and its held lanes (its tenant lane and its
// "<tenant>:<task>" lanes) go back to the tail of the ring, waking a
// worker. The fetch parked them there while the tenant was paused.
//
// KEYS: paused tenants. ARGV: base, tenant. It returns the number of lanes
// put back.
var resumeTenantScript = redis.NewScript(laneLua + `
local base, t = ARGV[1], ARGV[2]
local held = base .. 'held'
redis.call('SREM', KEYS[1], t)
local moved = 0
local function back(lane)
	if redis.call('SREM', held, lane) == 1 then
		redis.call('RPUSH', base .. 'r', lane)
		moved = moved + 1
	end
end
back(t)
local cursor = '0'
repeat
	local r = redis.call('SSCAN', held, cursor, 'MATCH', t .. ':*', 'COUNT', 100)
	cursor = r[1]
	for _, lane in ipairs(r[2]) do back(lane) end
until cursor == '0'
if moved > 0 then wake(base) end
return moved
`)

// PauseQueue pauses queue, in every partition: fetches take nothing from
// it; its tasks stay queued.
func (c *Client) PauseQueue(ctx context.Context, queue string) error {
	pipe := c.rdb.Pipeline()
	for i := range c.partitions(queue) {
		pipe.Set(ctx, queueKeys(c.cfg.Prefix, queue, i).paused, 1, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("tenantgen: pause queue %q: %w", queue, err)
	}
	return nil
}

// ResumeQueue resumes queue, in every partition, and wakes idle workers.
func (c *Client) ResumeQueue(ctx context.Context, queue string) error {
	for i := range c.partitions(queue) {
		k := queueKeys(c.cfg.Prefix, queue, i)
		if err := resumeQueueScript.Run(ctx, c.rdb, []string{k.paused}, k.base).Err(); err != nil {
			return fmt.Errorf("tenantgen: resume queue %q: %w", queue, err)
		}
	}
	return nil
}

// PauseTenant pauses tenant in queue: the fetch parks the tenant's lanes
// as it meets them, and an enqueue parks a lane it activates.
func (c *Client) PauseTenant(ctx context.Context, queue, tenant string) error {
	if err := c.rdb.SAdd(ctx, c.keysOf(queue, tenant).pausedT, tenant).Err(); err != nil {
		return fmt.Errorf("tenantgen: pause tenant %q in queue %q: %w", tenant, queue, err)
	}
	return nil
}

// ResumeTenant resumes tenant in queue, putting its parked lanes back in
// the ring.
func (c *Client) ResumeTenant(ctx context.Context, queue, tenant string) error {
	k := c.keysOf(queue, tenant)
	if err := resumeTenantScript.Run(ctx, c.rdb, []string{k.pausedT}, k.base, tenant).Err(); err != nil {
		return fmt.Errorf("tenantgen: resume tenant %q in queue %q: %w", tenant, queue, err)
	}
	return nil
}

// Paused reports whether queue is paused, and which of its tenants are,
// sorted.
func (c *Client) Paused(ctx context.Context, queue string) (bool, []string, error) {
	pipe := c.rdb.Pipeline()
	var flags []*redis.IntCmd
	var sets []*redis.StringSliceCmd
	for i := range c.partitions(queue) {
		k := queueKeys(c.cfg.Prefix, queue, i)
		flags = append(flags, pipe.Exists(ctx, k.paused))
		sets = append(sets, pipe.SMembers(ctx, k.pausedT))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return false, nil, fmt.Errorf("tenantgen: paused state of queue %q: %w", queue, err)
	}
	paused := flags[0].Val() == 1
	var tenants []string
	for _, s := range sets {
		tenants = append(tenants, s.Val()...)
	}
	slices.Sort(tenants)
	return paused, tenants, nil
}
