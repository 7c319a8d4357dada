package queue

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// OldestSample is how many lanes of each kind OldestReady reads the head
// task of, per partition.
const OldestSample = 32

// headsScript returns the head task of up to ARGV[2] lanes of each kind
// that has ready tasks able to start: the first lanes of the ring (those
// next in turn, which have waited longest since their last turn), lanes at
// their concurrency cap and lanes over their rate. Lanes of paused
// tenants are left out: their tasks wait by design. It costs one LINDEX
// per lane read, whatever the length of the lanes.
//
// KEYS: ring. ARGV: base, sample.
var headsScript = redis.NewScript(`
local base, n = ARGV[1], tonumber(ARGV[2])
local heads = {}
local function add(lanes)
	for _, l in ipairs(lanes) do
		local h = redis.call('LINDEX', base .. 'l:' .. l, 0)
		if h then heads[#heads + 1] = h end
	end
end
add(redis.call('LRANGE', KEYS[1], 0, n - 1))
add(redis.call('SRANDMEMBER', base .. 'full', n))
add(redis.call('ZRANGE', base .. 'wait', 0, n - 1))
return heads
`)

// OldestReady returns when the oldest ready task of queue became due, or
// the zero time when no task is ready, from the head tasks of up to
// OldestSample lanes of each kind per partition (headsScript). QueueInfo
// reads the same in its pipeline; runtime.App.OldestReady documents what
// the figure means.
func (c *Client) OldestReady(ctx context.Context, queue string) (time.Time, error) {
	pipe := c.rdb.Pipeline()
	cmds := make([]*redis.Cmd, c.partitions(queue))
	for i := range cmds {
		k := queueKeys(c.cfg.Prefix, queue, i)
		cmds[i] = headsScript.Eval(ctx, pipe, []string{k.ring}, k.base, OldestSample)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return time.Time{}, fmt.Errorf("tenantgen: oldest ready task of queue %q: %w", queue, err)
	}
	var oldest time.Time
	for _, cmd := range cmds {
		if due := oldestHead(cmd); !due.IsZero() && (oldest.IsZero() || due.Before(oldest)) {
			oldest = due
		}
	}
	return oldest, nil
}

// oldestHead returns the earliest due time of the head tasks that a run
// of headsScript returned, or the zero time when it returned none.
func oldestHead(cmd *redis.Cmd) time.Time {
	heads, _ := cmd.StringSlice()
	var oldest time.Time
	for _, h := range heads {
		// A task handed back starts with its interrupt count.
		env, err := decodeEnvelope(strings.TrimLeft(h, "0123456789"))
		if err != nil {
			continue
		}
		if due := env.DueAt(); oldest.IsZero() || due.Before(oldest) {
			oldest = due
		}
	}
	return oldest
}
