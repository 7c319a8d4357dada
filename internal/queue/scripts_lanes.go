package queue

import "github.com/redis/go-redis/v9"

// uniqueScript enqueues a unique task under its lock, or returns the
// holder's ID: a ready one to the tail of its lane (routed as route does),
// activating the lane; a delayed one to the delayed set, as its route key
// followed by its envelope.
//
// KEYS: unique lock. ARGV: base, route key, envelope, due time ms ("0":
// ready now), task ID, the lock's window ms. It returns the ID of the task
// that holds the lock: the new one if it was enqueued.
var uniqueScript = redis.NewScript(laneLua + `
local base = ARGV[1]
if not redis.call('SET', KEYS[1], ARGV[5], 'NX', 'PX', ARGV[6]) then
	return redis.call('GET', KEYS[1])
end
if ARGV[4] == '0' then
	push(base, route(base, ARGV[2]), ARGV[3], false)
else
	redis.call('ZADD', base .. 'z', ARGV[4], ARGV[2] .. ARGV[3])
end
return ARGV[5]
`)

// enqueueScript adds the ready tasks of a batch in one partition to the
// tails of their lanes, in order: one RPUSH per lane, and a lane that was
// empty joins the ring (or held, if its tenant is paused), with one wake
// token for the whole batch. It is the routing of route, inlined, and done
// once per call where it can: the script runs once per batch, not per task.
//
// KEYS: ring. ARGV: base, then pairs of route key and envelope.
var enqueueScript = redis.NewScript(`
local base = ARGV[1]
local lim = base .. 'lim'
local limited = redis.call('EXISTS', lim) == 1
local paused = redis.call('EXISTS', base .. 'pt') == 1
local order, norder, byLane = {}, 0, {}
-- Whether a task has limits of its own, by ":<task>": a batch asks once
-- per task, not once per element.
local own = {}
-- The lane of each route key met: a batch's elements mostly share a few,
-- and splitting a key costs Lua more than a table lookup.
local laneOf = {}
for i = 2, #ARGV, 2 do
	local key = ARGV[i]
	local lane = laneOf[key]
	if not lane then
		lane = key
		if key ~= '-' then
			local c = string.find(key, ':', 1, true)
			if c then
				local has = false
				if limited then
					local f = string.sub(key, c)
					has = own[f]
					if has == nil then
						has = redis.call('HEXISTS', lim, f) == 1
						own[f] = has
					end
				end
				if not has then lane = string.sub(key, 1, c - 1) end
			end
		end
		laneOf[key] = lane
	end
	local l = byLane[lane]
	if not l then
		l = {n = 0}
		byLane[lane] = l
		norder = norder + 1
		order[norder] = lane
	end
	local n = l.n + 1
	l.n, l[n] = n, ARGV[i + 1]
end
local woke = false
for oi = 1, norder do
	local lane = order[oi]
	local l = byLane[lane]
	local n = 0
	for j = 1, l.n, 500 do
		n = redis.call('RPUSH', base .. 'l:' .. lane, unpack(l, j, math.min(j + 499, l.n)))
	end
	if n == l.n then
		local t = lane
		local c = string.find(lane, ':', 1, true)
		if c then t = string.sub(lane, 1, c - 1) end
		if paused and t ~= '-' and redis.call('SISMEMBER', base .. 'pt', t) == 1 then
			redis.call('SADD', base .. 'held', lane)
		else
			redis.call('RPUSH', KEYS[1], lane)
			woke = true
		end
	end
end
if woke and redis.call('LLEN', base .. 'k') == 0 then
	redis.call('RPUSH', base .. 'k', '1')
end
return norder
`)

// forwardScript moves due delayed tasks to the tails of their lanes. A
// member is a route key followed by the envelope; a member of the old
// layout, the envelope alone, is routed by its envelope.
//
// KEYS: delayed. ARGV: base, now ms, batch size. It returns the number
// moved and the due time of the next delayed task, or false.
var forwardScript = redis.NewScript(laneLua + `
local base = ARGV[1]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, ARGV[3])
for _, m in ipairs(due) do
	local p = string.find(m, '{', 1, true)
	if p == 1 then
		push(base, routeEnvelope(base, m), m, false)
	elseif p then
		push(base, route(base, string.sub(m, 1, p - 1)), string.sub(m, p), false)
	else
		push(base, '-', m, false) -- not an envelope: the worker dead-letters it
	end
end
if #due > 0 then
	redis.call('ZREM', KEYS[1], unpack(due))
end
local next = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {#due, next[2] or false}
`)

// fetchScript moves up to n tasks from the lanes of the ring to the stream,
// each lane in turn, for the consumer's XREADGROUP that follows it in the
// same pipeline. Each task becomes a stream entry with fields e, i when
// interrupted, and, when it counts against its lane's cap, l its lane and
// c "1", so that the consumer group's pending list tracks it exactly as
// before. (The lane of an uncounted entry is not stored: nothing needs it
// but a hand-back, which routes the task again, to the same lane.)
// The read is not part of the script because Lua would copy every entry
// into a table and back, which costs more than the rest of the fetch; so a
// read may take entries that another worker's fetch added, and that worker
// the next ones: each read takes the oldest entries no one has read, up to
// its count, so that every entry is delivered once. Entries of the old
// layout, which added tasks to the stream, are read the same way.
//
// A lane gets up to its weight of tasks per turn; the rest of an unfinished
// turn is its credit in cr. Meeting a lane of a paused tenant, it parks it
// in held; a lane at its concurrency cap, in full; a lane over its rate, in
// wait, scored by when it may start (GCRA: one start every per/starts ms,
// its theoretical arrival time in rt:<lane>, expiring once it passes); a
// lane whose starts are under a millisecond apart goes back to the ring
// after a start, and to wait only if its next turn comes too early. Due
// lanes of wait go back to the ring first. Limits cost Redis calls, which
// cost more than the data they touch: records are read once per fetch, a
// capped lane's turn costs one HINCRBY (it reserves the turn's tasks and
// answers with the count), a rated lane's start one SET. Without limits
// (no defaults, no lim hash), none of that is looked at.
//
// An element larger than the max payload is dead-lettered here, with a
// record of its first bytes and its size, so that no worker reads it.
//
// Redis came back empty (failover to an empty replica, a restart without
// persistence): the stream, and with it the group, is recreated.
//
// It first acknowledges the worker's entries that counted against a cap,
// as ackCountedScript does: one script call per fetch, where a script of
// their own cost a second (each call costs Redis more than its commands).
//
// KEYS: stream. ARGV: base, group, n, the limits record of tenant lanes by
// default ("" for none), max payload bytes, dead max length, dead max age
// ms, then the counted entries to acknowledge, as countedAcks lays them
// out (none: nothing). It returns {recreated (0 or 1), wait, moved}, where
// wait is -2 if the queue is paused, else the ms until the first lane of
// wait may start, or -1 if none waits.
var fetchScript = redis.NewScript(buryLua + ackCountedLua + `
local s, base = KEYS[1], ARGV[1]
local want = tonumber(ARGV[3])
local out = {0, -1, 0}
if redis.call('EXISTS', s) == 0 then
	redis.call('XGROUP', 'CREATE', s, ARGV[2], '0', 'MKSTREAM')
	out[1] = 1
end
-- The worker's counted acknowledgements come first, so that the lanes
-- they free are in the ring for this fetch.
if #ARGV > 7 then ackInto(s, base, ARGV[2], ARGV, 8) end
if redis.call('EXISTS', base .. 'p') == 1 then
	out[2] = -2
	return out
end

local ring, lim, wait, cr, run = base .. 'r', base .. 'lim', base .. 'wait', base .. 'cr', base .. 'run'
local deflim = ARGV[4]
local limited = deflim ~= '' or redis.call('EXISTS', lim) == 1
-- Redis's clock, so that workers' clocks do not matter; read only when
-- needed (limits, or an oversize element's record).
-- ms with the µs fraction, so that rates above 1,000 starts per second
-- space their starts exactly; ms (ms()) where records need whole ones.
local now = 0
local function clock()
	if now == 0 then
		local t = redis.call('TIME')
		now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
	end
	return now
end
local function ms() return math.floor(clock()) end
-- The limits of a lane, {weight, cap, ms between starts (0: no rate), and
-- for a rate: its rate key's lifetime and, once needed, the next start of
-- a lane that starts now, as strings}, parsed once per record per fetch:
-- the lanes of a limited task share theirs (":<task>"), and a tenant's
-- lanes meet theirs once per round. colon is where the task starts in
-- lane, or nil.
local recs = {}
local rated = {} -- the next start of the rated lanes this fetch started, by lane
local function limitsOf(lane, colon)
	local field = lane
	if colon then field = string.sub(lane, colon) end
	local l = recs[field]
	if l then return l end
	local rec = redis.call('HGET', lim, field)
	if not rec and not colon then rec = deflim end
	l = {1, 0, 0}
	if rec and rec ~= '' then
		local w, c, n, per = string.match(rec, '^(%d+) (%d+) (%d+) (%d+)$')
		n, per = tonumber(n) or 0, tonumber(per) or 0
		l[1], l[2] = math.max(tonumber(w) or 1, 1), tonumber(c) or 0
		if n > 0 and per > 0 then
			l[3] = per / n
			l[4] = tostring(math.ceil(l[3]))
		end
	end
	recs[field] = l
	return l
end
-- unreserve ends n of the counts that a lane's turn reserved and did not
-- use.
local function unreserve(lane, n)
	if n > 0 and redis.call('HINCRBY', run, lane, -n) <= 0 then
		uncount(run, {lane}, 1)
	end
end
local counting = false -- whether run holds its marker (markRun)
-- Whether lanes wait for their rate: a queue with caps and no rates never
-- looks at wait, nor at the clock.
local waiting = limited and redis.call('EXISTS', wait) == 1
if waiting then
	clock()
	local due = redis.call('ZRANGEBYSCORE', wait, '-inf', string.format('%.3f', now), 'LIMIT', 0, 100)
	if #due > 0 then
		redis.call('ZREM', wait, unpack(due))
		redis.call('RPUSH', ring, unpack(due))
	end
end
local paused = redis.call('EXISTS', base .. 'pt') == 1
local maxPayload = tonumber(ARGV[5])

-- Lua spends more converting numbers to strings for commands, and growing
-- tables with #t + 1, than on most commands: the loop below passes the
-- common counts as strings ('1') and counts its tables' lengths itself.
--
-- The tasks of one fetch start together, so turns within it need no
-- order: when the ring is shorter than the fetch, each lane's turn takes
-- as many rounds' worth of tasks at once.
local lanes = 0 -- the ring's length, once a pass took all of it; 0: not known to be short
local got, steps = 0, 0
while got < want and steps < want + 100 do
	-- A pass takes lanes off the head of the ring, gives each its turn,
	-- and puts those that keep ready tasks back at the tail, in turn order.
	local ask = math.min(want - got, 100)
	local batch = redis.call('LPOP', ring, ask)
	if not batch then break end
	if #batch < ask then lanes = #batch end
	local back, nback, front = {}, 0, nil
	for bi = 1, #batch do
		local lane = batch[bi]
		if got >= want then
			-- Not visited: back to the head, in order, after a lane whose
			-- turn goes on.
			for j = #batch, bi, -1 do redis.call('LPUSH', ring, batch[j]) end
			break
		end
		steps = steps + 1
		local public = lane == '-'
		-- Where the task starts in the lane, for the tenant and the limits
		-- record; a queue with neither pauses nor limits does not look.
		local colon
		if (paused or limited) and not public then colon = string.find(lane, ':', 1, true) end
		local weight, cap, every, tat, count = 1, 0, 0, 0, 0
		local l, park, score, take, credit, rounds
		local started = false -- the rated lane's next start is written already
		if paused and not public and redis.call('SISMEMBER', base .. 'pt', colon and string.sub(lane, 1, colon - 1) or lane) == 1 then
			park = 'held'
		elseif limited and not public then
			l = limitsOf(lane, colon)
			weight, cap, every = l[1], l[2], l[3]
		end
		if not park then
			-- How many tasks this turn takes: its weight (or what is left
			-- of an unfinished turn), times the rounds that the fetch
			-- covers; one for a rated lane (GCRA spaces its starts); no
			-- more than its cap leaves.
			credit = weight
			if weight > 1 then credit = tonumber(redis.call('HGET', cr, lane)) or weight end
			rounds = 1
			if lanes > 0 and lanes < want - got then rounds = math.ceil((want - got) / lanes) end
			take = credit + weight * (rounds - 1)
			if take > want - got then take = want - got end
			if every > 0 then take = 1 end
			if cap > 0 then
				-- The turn's tasks count from now on: HINCRBY answers with
				-- the lane's count, which needs no read of its own; what
				-- goes past the cap is given back.
				if not counting then
					markRun(run)
					counting = true
				end
				count = redis.call('HINCRBY', run, lane, take == 1 and '1' or take)
				if count > cap then
					local over = math.min(count - cap, take)
					take, count = take - over, count - over
					redis.call('HINCRBY', run, lane, -over)
					if take == 0 then park = 'full' end
				end
			end
		end
		if not park and every > 0 then
			clock()
			tat = rated[lane]
			if not tat then
				-- Most lanes met are due: write the next start of one
				-- due now, reading the last in the same call, and put
				-- that back if it is not due after all.
				if not l[5] then l[5] = string.format('%.3f', now + every) end
				local rk = base .. 'rt:' .. lane
				tat = tonumber(redis.call('SET', rk, l[5], 'PX', l[4], 'GET')) or 0
				if tat > now then
					redis.call('SET', rk, string.format('%.3f', tat), 'PX', math.ceil(tat - now))
				else
					tat, started = now, true
				end
			end
			if tat > now then
				park, score = 'wait', tat
				if cap > 0 then unreserve(lane, take) end
			end
		end
		if park then
			if weight > 1 then redis.call('HDEL', cr, lane) end
			if park == 'wait' then
				redis.call('ZADD', wait, string.format('%.3f', score), lane)
				waiting = true
			else
				redis.call('SADD', base .. park, lane)
			end
		else
			local lk = base .. 'l:' .. lane
			local elems = redis.call('LPOP', lk, take == 1 and '1' or take)
			local added = 0
			if elems then
				for ei = 1, #elems do
					local elem = elems[ei]
					if #elem > maxPayload then
						local head = string.sub(elem, 1, 300)
						local id = string.match(head, '"id":"([^"]+)"') or ('oversize-' .. ms() .. '-' .. steps)
						local msg = 'tenantgen: task of ' .. #elem .. ' bytes exceeds the queue\'s MaxPayload of ' .. maxPayload .. ' bytes: store big data in the database and pass its key'
						local rec = '{"e":' .. cjson.encode(head) .. ',"err":' .. cjson.encode(msg) .. ',"n":0,"died":' .. ms() .. '}'
						bury(base .. 'd', base .. 'dh', id, rec, ms(), ARGV[6], ARGV[7])
					else
						local env, intr = elem, nil
						if string.byte(elem, 1) ~= 123 then
							local p = string.find(elem, '{', 1, true) or 1
							intr, env = string.sub(elem, 1, p - 1), string.sub(elem, p)
						end
						-- Only a counted entry needs its lane, to count it
						-- down; others are routed again if handed back.
						-- (One field could say both, but a worker of an
						-- earlier version, reading the stream beside this
						-- one in a rolling upgrade, would never count the
						-- entry down.)
						if cap > 0 then
							if intr then
								redis.call('XADD', s, '*', 'e', env, 'l', lane, 'i', intr, 'c', '1')
							else
								redis.call('XADD', s, '*', 'e', env, 'l', lane, 'c', '1')
							end
						elseif intr then
							redis.call('XADD', s, '*', 'e', env, 'i', intr)
						else
							redis.call('XADD', s, '*', 'e', env)
						end
						added = added + 1
					end
				end
			end
			got = got + added
			-- Only the entries added count against the cap, not the
			-- oversize elements dead-lettered, nor what a short list
			-- did not have.
			if cap > 0 and added < take then
				unreserve(lane, take - added)
				count = count - (take - added)
			end
			if elems then
				local n = #elems
				if every > 0 then
					tat = math.max(tat, now) + every
					if not started then
						redis.call('SET', base .. 'rt:' .. lane, string.format('%.3f', tat), 'PX', math.ceil(tat - now))
					end
				end
				-- A short pop emptied the list.
				if n < take or redis.call('LLEN', lk) == 0 then
					if weight > 1 then redis.call('HDEL', cr, lane) end
				elseif cap > 0 and count >= cap then
					if weight > 1 then redis.call('HDEL', cr, lane) end
					redis.call('SADD', base .. 'full', lane)
				elseif every >= 1 then
					if weight > 1 then redis.call('HDEL', cr, lane) end
					redis.call('ZADD', wait, string.format('%.3f', tat), lane)
					waiting = true
				elseif every > 0 then
					-- Starts less than a millisecond apart: back in the
					-- ring, where its next turn is most often due already;
					-- if not, that turn parks it (once per start at most),
					-- as this fetch does if it meets it again.
					if weight > 1 then redis.call('HDEL', cr, lane) end
					rated[lane] = tat
					nback = nback + 1
					back[nback] = lane
				elseif weight > 1 and n < credit and rounds == 1 then
					-- The fetch ran out mid-turn: the turn goes on next time.
					redis.call('HSET', cr, lane, credit - n)
					front = lane
				else
					if weight > 1 then redis.call('HDEL', cr, lane) end
					nback = nback + 1
					back[nback] = lane
				end
			elseif weight > 1 then
				redis.call('HDEL', cr, lane) -- its list was deleted by hand: drop the lane
			end
		end
	end
	if nback > 0 then redis.call('RPUSH', ring, unpack(back, 1, nback)) end
	if front then redis.call('LPUSH', ring, front) end
end
if redis.call('LLEN', ring) > 0 then wake(base) end
out[3] = got
if waiting then
	local nxt = redis.call('ZRANGE', wait, 0, 0, 'WITHSCORES')
	if nxt[2] then out[2] = math.max(1, math.ceil(tonumber(nxt[2]) - clock())) end
end
return out
`)
