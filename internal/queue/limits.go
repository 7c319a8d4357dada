package queue

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limits are the scheduling limits of a lane; runtime.Limits documents
// them. The zero Limits is weight 1 and no limit.
type Limits struct {
	Weight      int           // tasks per turn; 0 means 1
	Concurrency int           // running at once, across workers; 0: no cap
	Starts      int           // starts per Per; 0: no rate
	Per         time.Duration // the rate's window
}

// record encodes l as the limits hash and the fetch script store it:
// "<weight> <concurrency> <starts> <per ms>".
func (l Limits) record() string {
	per := int64(0)
	if l.Starts > 0 {
		per = max(l.Per.Milliseconds(), 1)
	}
	return strconv.Itoa(max(l.Weight, 1)) + " " + strconv.Itoa(max(l.Concurrency, 0)) + " " +
		strconv.Itoa(max(l.Starts, 0)) + " " + strconv.FormatInt(per, 10)
}

// parseLimits decodes a record written by record.
func parseLimits(s string) (Limits, error) {
	f := strings.Fields(s)
	if len(f) != 4 {
		return Limits{}, fmt.Errorf("tenantgen: limits record %q: want 4 fields", s)
	}
	var n [4]int64
	for i, x := range f {
		v, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return Limits{}, fmt.Errorf("tenantgen: limits record %q: %w", s, err)
		}
		n[i] = v
	}
	return Limits{Weight: int(n[0]), Concurrency: int(n[1]), Starts: int(n[2]), Per: time.Duration(n[3]) * time.Millisecond}, nil
}

// setLimitsScript sets or clears a limits record and puts the lanes it
// governs that are parked at their cap or waiting for their rate back in
// the ring, so that a raised limit applies at once (the fetch parks them
// again if they are still over it).
//
// KEYS: limits hash. ARGV: base, field (a tenant, or ":<task>"), record
// ("": clear), then the lanes the record governs.
var setLimitsScript = redis.NewScript(laneLua + `
local base = ARGV[1]
if ARGV[3] == '' then
	redis.call('HDEL', KEYS[1], ARGV[2])
else
	redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
end
local moved = 0
for i = 4, #ARGV do
	local lane = ARGV[i]
	if redis.call('SREM', base .. 'full', lane) == 1 or redis.call('ZREM', base .. 'wait', lane) == 1 then
		redis.call('RPUSH', base .. 'r', lane)
		moved = moved + 1
	end
end
if moved > 0 then wake(base) end
return moved
`)

// SetTenantLimits stores the limits of tenant's lane in queue (in its
// partition), overriding the queue's defaults; with clear it deletes them.
func (c *Client) SetTenantLimits(ctx context.Context, queue, tenant string, l Limits, clear bool) error {
	k := c.keysOf(queue, tenant)
	rec := l.record()
	if clear {
		rec = ""
	}
	if err := setLimitsScript.Run(ctx, c.rdb, []string{k.limits}, k.base, tenant, rec, tenant).Err(); err != nil {
		return fmt.Errorf("tenantgen: set limits of tenant %q in queue %q: %w", tenant, queue, err)
	}
	return nil
}

// TenantLimits returns the limits stored for tenant in queue, and whether
// there are any.
func (c *Client) TenantLimits(ctx context.Context, queue, tenant string) (Limits, bool, error) {
	k := c.keysOf(queue, tenant)
	s, err := c.rdb.HGet(ctx, k.limits, tenant).Result()
	switch {
	case err == redis.Nil:
		return Limits{}, false, nil
	case err != nil:
		return Limits{}, false, fmt.Errorf("tenantgen: limits of tenant %q in queue %q: %w", tenant, queue, err)
	}
	l, err := parseLimits(s)
	return l, err == nil, err
}

// SetTaskLimits records, in every partition of each of queues, the limits
// of the tasks of limited (by name), whose tasks then go to lanes of their
// own per tenant, and deletes the records of the tasks of unlimited. Every
// process that enqueues or works the queues sees the same records.
func (c *Client) SetTaskLimits(ctx context.Context, queues []string, limited map[string]Limits, unlimited []string) error {
	pipe := c.rdb.Pipeline()
	for _, q := range queues {
		for i := range c.partitions(q) {
			k := queueKeys(c.cfg.Prefix, q, i)
			for name, l := range limited {
				pipe.HSet(ctx, k.limits, ":"+name, l.record())
			}
			if len(unlimited) > 0 {
				fields := make([]string, len(unlimited))
				for j, name := range unlimited {
					fields[j] = ":" + name
				}
				pipe.HDel(ctx, k.limits, fields...)
			}
		}
	}
	if pipe.Len() == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("tenantgen: record the limits of tasks: %w", err)
	}
	return nil
}
