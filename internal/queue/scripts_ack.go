package queue

import "github.com/redis/go-redis/v9"

// ackCountedLua defines, after laneLua, the Lua function of counted
// acknowledgements. ackInto(s, base, group, args, from) acknowledges and
// deletes the entries of stream s that args lists from index from on, as
// countedAcks lays them out, and ends their counts: one HINCRBY per lane,
// with the decrement the worker computed, and one HDEL for the lanes at
// zero (uncount), so that an idle lane costs no memory. Lanes parked at
// their cap go back to the ring.
//
// Lua spends more converting numbers to strings, and growing tables with
// #t + 1, than on most commands, so the common path does neither: the
// decrements come as strings, HINCRBY answers with a number, and the IDs
// go from args to XACK and XDEL by unpack.
const ackCountedLua = laneLua + `
local function ackInto(s, base, group, args, from)
	local lanes = tonumber(args[from])
	local first = from + 1 + 2 * lanes
	local last = #args
	local acked = 0
	for j = first, last, 500 do
		acked = acked + redis.call('XACK', s, group, unpack(args, j, math.min(j + 499, last)))
	end
	-- Fewer acknowledged than given: some were settled or reclaimed
	-- meanwhile, and those are no longer in the stream. Count down the
	-- others only, lane by lane.
	local by
	if acked < last - first + 1 then
		by = {}
		local id = first
		for i = from + 1, first - 1, 2 do
			local k = 0
			for _ = 1, -tonumber(args[i + 1]) do
				if #redis.call('XRANGE', s, args[id], args[id]) == 1 then k = k + 1 end
				id = id + 1
			end
			by[args[i]] = -k
		end
	end
	for j = first, last, 500 do
		redis.call('XDEL', s, unpack(args, j, math.min(j + 499, last)))
	end
	local run = base .. 'run'
	-- Lanes parked at their cap are few, or none: look for them only when
	-- some are.
	local full = redis.call('EXISTS', base .. 'full') == 1
	local idle, nidle, woke = {}, 0, false
	for i = from + 1, first - 1, 2 do
		local lane, d = args[i], args[i + 1]
		if by then d = by[lane] end
		if d ~= 0 then
			if redis.call('HINCRBY', run, lane, d) <= 0 then
				nidle = nidle + 1
				idle[nidle] = lane
			end
			if full and redis.call('SREM', base .. 'full', lane) == 1 then
				redis.call('RPUSH', base .. 'r', lane)
				woke = true
			end
		end
	end
	if nidle > 0 then uncount(run, idle, nidle) end
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
// KEYS: stream. ARGV: base, group, then the acknowledgements as
// countedAcks lays them out.
var ackCountedScript = redis.NewScript(ackCountedLua + `
ackInto(KEYS[1], ARGV[1], ARGV[2], ARGV, 3)
return 1
`)
