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
// lines}, a line per tenant, "<tenant> <ready> <running> <delayed>
// <retries>", joined by newlines: one string, which costs Redis and the
// client far less than a reply of five elements per tenant.
var tenantsScript = redis.NewScript(laneLua + lanesLua + `
local base = ARGV[1]
local order, by = {}, {}
local function get(t)
	local c = by[t]
	if not c then
		c = {0, 0, 0, 0}
		by[t] = c
		order[#order + 1] = t
	end
	return c
end
for _, l in ipairs(readyLanes(base)) do
	local t = tenantOf(l)
	if t == '' then t = '-' end
	local c = get(t)
	c[1] = c[1] + redis.call('LLEN', base .. 'l:' .. l)
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
					local c = get(tenantOfEnvelope(f[j + 1]))
					c[2] = c[2] + 1
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
		local c = get(t)
		c[3] = c[3] + 1
		if isRetry(m) then c[4] = c[4] + 1 end
	end
end
local out = {}
for i, t in ipairs(order) do
	local c = by[t]
	out[i] = t .. ' ' .. c[1] .. ' ' .. c[2] .. ' ' .. c[3] .. ' ' .. c[4]
end
return {split, table.concat(out, '\n')}
`)

// Tenants counts the tasks of every tenant of queue that has any, or a
// pause, limits of its own, or failures in the last hour, over all its
// partitions, in one pipelined round trip. The keys are tenant IDs, "-"
// for public tasks.
func (c *Client) Tenants(ctx context.Context, queue string, now time.Time) (map[string]*TenantInfo, error) {
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
	by := map[string]*TenantInfo{}
	get := func(t string) *TenantInfo {
		ti := by[t]
		if ti == nil {
			ti = new(TenantInfo)
			by[t] = ti
		}
		return ti
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
		lines, _ := vals[1].(string)
		for len(lines) > 0 {
			var line string
			line, lines, _ = strings.Cut(lines, "\n")
			t, rest, _ := strings.Cut(line, " ")
			var n [4]int64
			for i := range n {
				var f string
				f, rest, _ = strings.Cut(rest, " ")
				n[i], _ = strconv.ParseInt(f, 10, 64)
			}
			ti := get(t)
			ti.Ready += n[0]
			ti.Running += n[1]
			ti.Scheduled += n[2]
			ti.Retrying += n[3]
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
	for _, ti := range by {
		if split {
			ti.Scheduled -= ti.Retrying
		} else {
			ti.Scheduled, ti.Retrying = -1, -1
		}
	}
	return by, nil
}

// asInt returns v, an integer of a script's reply, or 0.
func asInt(v any) int64 {
	n, _ := v.(int64)
	return n
}
