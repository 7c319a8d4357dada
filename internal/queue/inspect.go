package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// splitLimit is the largest delayed set of a partition that the Inspector
// splits into scheduled tasks and retries, by tenant: the split reads every
// member, and above this it would take Redis more than a few milliseconds.
// Above it, retries are reported as unknown (-1).
const splitLimit = 20000

// QueueInfo counts the tasks of a queue by state; runtime.QueueInfo
// documents the fields.
type QueueInfo struct {
	Partitions                                int
	Ready, Scheduled, Retrying, Running, Dead int64
	OldestReady                               time.Time // as Client.OldestReady reads it; zero: none
	Paused                                    bool
	PausedTenants                             int
	Lanes                                     int
}

// queueScript counts the ready tasks and lanes of a partition, and splits
// the delayed set into scheduled tasks and retries when it holds at most
// splitLimit members. The oldest ready task is headsScript's, read in the
// same pipeline, so that the Inspector and the metrics report one figure.
//
// KEYS: ring. ARGV: base, split limit. It returns {ready, lanes, delayed,
// retries (-1: not split)}.
var queueScript = redis.NewScript(lanesLua + `
local base = ARGV[1]
local ready = 0
local lanes = readyLanes(base)
for _, l in ipairs(lanes) do
	ready = ready + redis.call('LLEN', base .. 'l:' .. l)
end
local z = base .. 'z'
local delayed = redis.call('ZCARD', z)
local retries = -1
if delayed <= tonumber(ARGV[2]) then
	retries = 0
	for _, m in ipairs(redis.call('ZRANGE', z, 0, -1)) do
		if isRetry(m) then retries = retries + 1 end
	end
end
return {ready, #lanes, delayed, retries}
`)

// QueueInfo counts the tasks of queue by state, over all its partitions,
// and reads its oldest ready task as OldestReady does, in one pipelined
// round trip.
func (c *Client) QueueInfo(ctx context.Context, queue string) (QueueInfo, error) {
	parts := c.partitions(queue)
	info := QueueInfo{Partitions: parts}
	type cmds struct {
		xlen, dead, pausedT *redis.IntCmd
		paused              *redis.IntCmd
		pending             *redis.XPendingCmd
		counts, heads       *redis.Cmd
	}
	all := make([]cmds, parts)
	pipe := c.rdb.Pipeline()
	for i := range parts {
		k := queueKeys(c.cfg.Prefix, queue, i)
		all[i] = cmds{
			xlen:    pipe.XLen(ctx, k.stream),
			pending: pipe.XPending(ctx, k.stream, group),
			dead:    pipe.ZCard(ctx, k.dead),
			paused:  pipe.Exists(ctx, k.paused),
			pausedT: pipe.SCard(ctx, k.pausedT),
			counts:  queueScript.Eval(ctx, pipe, []string{k.ring}, k.base, splitLimit),
			heads:   headsScript.Eval(ctx, pipe, []string{k.ring}, k.base, OldestSample),
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !isNoGroup(err) {
		return QueueInfo{}, fmt.Errorf("tenantgen: inspect queue %q: %w", queue, err)
	}
	retriesKnown := true
	for i, cm := range all {
		var running int64
		if p, err := cm.pending.Result(); err == nil {
			running = p.Count
		}
		vals, err := cm.counts.Int64Slice()
		if err != nil {
			return QueueInfo{}, fmt.Errorf("tenantgen: inspect queue %q: %w", queue, err)
		}
		ready, lanes, delayed, retries := vals[0], vals[1], vals[2], vals[3]
		// Entries that no worker read yet were written by the old layout.
		info.Ready += ready + cm.xlen.Val() - running
		info.Running += running
		info.Lanes += int(lanes)
		if oldest := oldestHead(cm.heads); !oldest.IsZero() && (info.OldestReady.IsZero() || oldest.Before(info.OldestReady)) {
			info.OldestReady = oldest
		}
		if retries < 0 {
			retriesKnown = false
		} else {
			info.Retrying += retries
		}
		info.Scheduled += delayed
		info.Dead += cm.dead.Val()
		if i == 0 {
			info.Paused = cm.paused.Val() == 1
		}
		info.PausedTenants += int(cm.pausedT.Val())
	}
	if retriesKnown {
		info.Scheduled -= info.Retrying
	} else {
		info.Retrying = -1
	}
	return info, nil
}
