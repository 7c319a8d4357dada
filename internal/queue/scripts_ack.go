package queue

import "github.com/redis/go-redis/v9"

// ackCountedLua defines, after laneLua, the Lua functions of counted
// acknowledgements:
//
//   - ackInto(s, base, group, args, from, counts, changed) acknowledges and
//     deletes the entries of stream s whose IDs and lanes are the pairs of
//     args from index from on, as ackCountedScript documents, and lowers
//     the counts of their lanes in counts (lane to running count, read with
//     one HMGET), adding each lane it changes to changed (a list of lanes
//     that is also a set of them); lanes parked at their cap go back to the
//     ring.
//   - writeCounts(run, counts, changed) writes the counts of the lanes in
//     changed to the hash run: one HSET for those still running tasks, one
//     HDEL for those at zero, so that an idle lane costs no memory.
//
// The fetch script acknowledges into the counts it then fetches with, and
// writes them once at its end.
const ackCountedLua = laneLua + `
local function ackInto(s, base, group, args, from, counts, changed)
	local ids = {}
	for i = from, #args, 2 do ids[#ids + 1] = args[i] end
	local acked = 0
	for j = 1, #ids, 500 do
		acked = acked + redis.call('XACK', s, group, unpack(ids, j, math.min(j + 499, #ids)))
	end
	local all = acked == #ids
	local order, byLane = {}, {}
	for i = from, #args, 2 do
		if all or #redis.call('XRANGE', s, args[i], args[i]) == 1 then
			local lane = args[i + 1]
			local n = byLane[lane]
			if not n then order[#order + 1] = lane end
			byLane[lane] = (n or 0) + 1
		end
	end
	for j = 1, #ids, 500 do
		redis.call('XDEL', s, unpack(ids, j, math.min(j + 499, #ids)))
	end
	local ask = {}
	for _, lane in ipairs(order) do
		if counts[lane] == nil then ask[#ask + 1] = lane end
	end
	for j = 1, #ask, 500 do
		local part = {unpack(ask, j, math.min(j + 499, #ask))}
		local got = redis.call('HMGET', base .. 'run', unpack(part))
		for k, lane in ipairs(part) do counts[lane] = tonumber(got[k]) or 0 end
	end
	for _, lane in ipairs(order) do
		counts[lane] = math.max(counts[lane] - byLane[lane], 0)
		if not changed[lane] then
			changed[#changed + 1] = lane
			changed[lane] = true
		end
	end
	-- Lanes parked at their cap are few, or none: look for them only when
	-- some are.
	if redis.call('EXISTS', base .. 'full') == 1 then
		local woke = false
		for _, lane in ipairs(order) do
			if redis.call('SREM', base .. 'full', lane) == 1 then
				redis.call('RPUSH', base .. 'r', lane)
				woke = true
			end
		end
		if woke then wake(base) end
	end
end
local function writeCounts(run, counts, changed)
	local set, del = {}, {}
	for _, lane in ipairs(changed) do
		local c = counts[lane]
		if c > 0 then
			set[#set + 1] = lane
			set[#set + 1] = c
		else
			del[#del + 1] = lane
		end
	end
	for j = 1, #set, 500 do redis.call('HSET', run, unpack(set, j, math.min(j + 499, #set))) end
	for j = 1, #del, 500 do redis.call('HDEL', run, unpack(del, j, math.min(j + 499, #del))) end
end
`

// ackCountedScript acknowledges and deletes entries that counted against
// their lanes' caps, ending their counts: only for an entry that XACK
// really acknowledged, so that a redelivered or reclaimed entry is never
// counted down twice. The entries of one lane are counted down together.
//
// One XACK takes all the entries. When it acknowledges fewer than it was
// given (some were settled or reclaimed meanwhile), the ones it did are
// those still in the stream: every script that acknowledges a counted
// entry deletes it in the same step, and a worker acknowledges only
// entries it read.
//
// KEYS: stream. ARGV: base, group, then pairs of entry ID and lane.
var ackCountedScript = redis.NewScript(ackCountedLua + `
local counts, changed = {}, {}
ackInto(KEYS[1], ARGV[1], ARGV[2], ARGV, 3, counts, changed)
writeCounts(ARGV[1] .. 'run', counts, changed)
return 1
`)
