package queue

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// TenantInfo counts one tenant's tasks in a queue; runtime.TenantInfo
// documents the fields. Tenant "-" holds the public tasks.
type TenantInfo struct {
	ID                                                  string
	Ready, Scheduled, Retrying, Running, Dead, Failures int64
	Paused                                              bool
	Limits                                              *Limits // the tenant's own record; nil: none
}

// tenantsScript counts, per tenant, the ready tasks of a partition (the
// lengths of its lanes), the tasks in flight (the stream's entries, whose
// envelopes name their tenants), and the delayed tasks and retries (by the
// route keys of the delayed set's members) when the delayed set holds at
// most the split limit. Idle tenants cost nothing: only lanes, entries and
// members are read.
//
// KEYS: ring. ARGV: base, split limit. It returns {delayed split (1 or 0),
// tenants, ready, running, delayed, retries}: the tenants joined by
// newlines, then four arrays of counts in the same order. Counts live in
// parallel arrays rather than a table per tenant, and the reply holds one
// string and integers: at 10,000 tenants, each of those halves what Redis
// spends on building it.
var tenantsScript = redis.NewScript(laneLua + lanesLua + `
local base = ARGV[1]
local names, index = {}, {}
local ready, running, delayed, retries = {}, {}, {}, {}
local function get(t)
	local i = index[t]
	if not i then
		i = #names + 1
		index[t] = i
		names[i], ready[i], running[i], delayed[i], retries[i] = t, 0, 0, 0, 0
	end
	return i
end
for _, l in ipairs(readyLanes(base)) do
	local t = tenantOf(l)
	if t == '' then t = '-' end
	local i = get(t)
	ready[i] = ready[i] + redis.call('LLEN', base .. 'l:' .. l)
end
local s = base .. 's'
if redis.call('EXISTS', s) == 1 then
	local cursor = '-'
	repeat
		local got = redis.call('XRANGE', s, cursor, '+', 'COUNT', 1000)
		for _, e in ipairs(got) do
			local f = e[2]
			for j = 1, #f, 2 do
				if f[j] == 'e' then
					local i = get(tenantOfEnvelope(f[j + 1]))
					running[i] = running[i] + 1
				end
			end
		end
		if #got < 1000 then break end
		cursor = '(' .. got[#got][1]
	until false
end
local z = base .. 'z'
local split = 0
if redis.call('ZCARD', z) <= tonumber(ARGV[2]) then
	split = 1
	for _, m in ipairs(redis.call('ZRANGE', z, 0, -1)) do
		local t = string.match(m, '^([^:{]+):')
		if not t then
			if string.byte(m, 1) == 123 then t = tenantOfEnvelope(m) else t = '-' end
		end
		local i = get(t)
		delayed[i] = delayed[i] + 1
		if isRetry(m) then retries[i] = retries[i] + 1 end
	end
end
return {split, table.concat(names, '\n'), ready, running, delayed, retries}
`)

// Tenants counts the tasks of every tenant of queue that has any, or a
// pause, limits of its own, or failures in the last hour, over all its
// partitions, in one pipelined round trip, in no order. Tenant "-" holds
// the public tasks.
func (c *Client) Tenants(ctx context.Context, queue string, now time.Time) ([]TenantInfo, error) {
	parts := c.partitions(queue)
	type cmds struct {
		counts *redis.Cmd
		dead   *redis.MapStringStringCmd
		paused *redis.StringSliceCmd
		limits *redis.MapStringStringCmd
	}
	all := make([]cmds, parts)
	pipe := c.rdb.Pipeline()
	for i := range parts {
		k := queueKeys(c.cfg.Prefix, queue, i)
		all[i] = cmds{
			counts: tenantsScript.Eval(ctx, pipe, []string{k.ring}, k.base, splitLimit),
			dead:   pipe.HGetAll(ctx, k.deadCount()),
			paused: pipe.SMembers(ctx, k.pausedT),
			limits: pipe.HGetAll(ctx, k.limits),
		}
	}
	failures := c.failureCmds(ctx, pipe, queue, now)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("tenantgen: inspect the tenants of queue %q: %w", queue, err)
	}
	// One slice and a map of indexes: at 10,000 tenants, an allocation per
	// tenant shows in the Inspector's time.
	var list []TenantInfo
	index := map[string]int{}
	get := func(t string) *TenantInfo {
		i, ok := index[t]
		if !ok {
			i = len(list)
			index[t] = i
			list = append(list, TenantInfo{ID: t})
		}
		return &list[i]
	}
	split := true
	for _, cm := range all {
		vals, err := cm.counts.Slice()
		if err != nil {
			return nil, fmt.Errorf("tenantgen: inspect the tenants of queue %q: %w", queue, err)
		}
		if n, _ := vals[0].(int64); n == 0 {
			split = false
		}
		names, _ := vals[1].(string)
		counts := make([][]any, 4)
		for i := range counts {
			counts[i], _ = vals[2+i].([]any)
		}
		for i := 0; len(names) > 0; i++ {
			var t string
			t, names, _ = strings.Cut(names, "\n")
			if i >= len(counts[3]) {
				break
			}
			ti := get(t)
			ti.Ready += asInt(counts[0][i])
			ti.Running += asInt(counts[1][i])
			ti.Scheduled += asInt(counts[2][i])
			ti.Retrying += asInt(counts[3][i])
		}
		for t, n := range cm.dead.Val() {
			v, _ := strconv.ParseInt(n, 10, 64)
			get(t).Dead += v
		}
		for _, t := range cm.paused.Val() {
			get(t).Paused = true
		}
		for t, rec := range cm.limits.Val() {
			if strings.HasPrefix(t, ":") {
				continue // a task's limits
			}
			if l, err := parseLimits(rec); err == nil {
				get(t).Limits = &l
			}
		}
	}
	for t, n := range sumFailures(failures) {
		get(t).Failures += n
	}
	for i := range list {
		ti := &list[i]
		if split {
			ti.Scheduled -= ti.Retrying
		} else {
			ti.Scheduled, ti.Retrying = -1, -1
		}
	}
	return list, nil
}

// asInt returns v, an integer of a script's reply, or 0.
func asInt(v any) int64 {
	n, _ := v.(int64)
	return n
}
