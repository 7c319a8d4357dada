package queue

import "github.com/redis/go-redis/v9"

// ackCountedLua defines, after laneLua, the Lua function ackCounted(s,
// base, group, args, from), which acknowledges and deletes the entries of
// stream s whose IDs and lanes are the pairs of args from index from on,
// ending their counts, as ackCountedScript documents.
const ackCountedLua = laneLua + `
local function ackCounted(s, base, group, args, from)
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
	-- Lanes parked at their cap are few, or none: look for them only when
	-- some are.
	local full = redis.call('EXISTS', base .. 'full') == 1
	local woke = false
	-- The lanes' counts, read with one HMGET and written with one HSET (those
	-- still running tasks) and one HDEL (those at zero), not two calls a lane.
	local run = base .. 'run'
	local set, del = {}, {}
	for j = 1, #order, 500 do
		local part = {unpack(order, j, math.min(j + 499, #order))}
		local got = redis.call('HMGET', run, unpack(part))
		for k, lane in ipairs(part) do
			local c = (tonumber(got[k]) or 0) - byLane[lane]
			if c > 0 then
				set[#set + 1] = lane
				set[#set + 1] = c
			else
				del[#del + 1] = lane
			end
		end
	end
	for j = 1, #set, 500 do redis.call('HSET', run, unpack(set, j, math.min(j + 499, #set))) end
	for j = 1, #del, 500 do redis.call('HDEL', run, unpack(del, j, math.min(j + 499, #del))) end
	for _, lane in ipairs(order) do
		if full and redis.call('SREM', base .. 'full', lane) == 1 then
			redis.call('RPUSH', base .. 'r', lane)
			woke = true
		end
	end
	if woke then wake(base) end
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
ackCounted(KEYS[1], ARGV[1], ARGV[2], ARGV, 3)
return 1
`)
