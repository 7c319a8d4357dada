package queue

import "github.com/redis/go-redis/v9"

// Scripts change several keys of one queue atomically. Each receives every
// key it touches through KEYS, all under the queue's hash tag.

// buryLua defines the Lua function bury, which the scripts that dead-letter
// tasks start with. bury(dead, records, id, record, now, maxLen, maxAge)
// files record under id in the dead letter set (keys dead and records), then
// trims the set to maxLen entries and, when maxAge is positive, removes the
// entries dead for more than maxAge ms. now, maxLen and maxAge are
// strings of integers, as ARGV holds them.
const buryLua = `
local function bury(dead, records, id, record, now, maxLen, maxAge)
	redis.call('ZADD', dead, now, id)
	redis.call('HSET', records, id, record)
	maxLen, maxAge = tonumber(maxLen), tonumber(maxAge)
	if maxAge > 0 then
		local old = redis.call('ZRANGEBYSCORE', dead, '-inf', tonumber(now) - maxAge, 'LIMIT', 0, 1000)
		if #old > 0 then
			redis.call('ZREM', dead, unpack(old))
			redis.call('HDEL', records, unpack(old))
		end
	end
	local extra = redis.call('ZCARD', dead) - maxLen
	if extra > 0 then
		local old = redis.call('ZRANGE', dead, 0, extra - 1)
		redis.call('ZREM', dead, unpack(old))
		redis.call('HDEL', records, unpack(old))
	end
end
`

// uniqueScript enqueues a task unless another with the same unique key was
// enqueued within the window.
//
// KEYS: unique lock, stream, delayed. ARGV: task ID, window ms, envelope,
// due time ms (0: ready now). It returns the ID of the task that holds the
// lock: the new one if it was enqueued.
var uniqueScript = redis.NewScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
	return redis.call('GET', KEYS[1])
end
if ARGV[4] == '0' then
	redis.call('XADD', KEYS[2], '*', 'e', ARGV[3])
else
	redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
end
return ARGV[1]
`)

// forwardScript moves due delayed tasks to the stream.
//
// KEYS: delayed, stream. ARGV: now ms, batch size. It returns the number
// moved and the due time of the next delayed task, or false.
var forwardScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, e in ipairs(due) do
	redis.call('XADD', KEYS[2], '*', 'e', e)
end
if #due > 0 then
	redis.call('ZREM', KEYS[1], unpack(due))
end
local next = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {#due, next[2] or false}
`)

// settleScript ends a delivery that did not succeed: it acknowledges and
// deletes the delivered entry, then schedules a retry, hands the task back
// to the stream, or moves it to the dead letter set. It does nothing if the
// entry is no longer pending: another worker reclaimed it (this worker was
// taken for dead) or it was settled already, and the task must not be
// queued twice.
//
// KEYS: stream, delayed, dead, dead records. ARGV: group, entry ID, action
// ("retry", "requeue" or "dead"), envelope or dead record, then the due time
// ms (for retry), the interrupt count to keep in the new entry's field i
// (for requeue; "" or "0": none) or the task ID (for dead), now ms, dead max
// length, dead max age ms (0: no limit). It returns 1, or 0 if the entry was
// no longer pending.
var settleScript = redis.NewScript(buryLua + `
if ARGV[2] ~= '' then
	if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then
		return 0
	end
	redis.call('XDEL', KEYS[1], ARGV[2])
end
local action = ARGV[3]
if action == 'retry' then
	redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
elseif action == 'requeue' then
	if ARGV[5] ~= '' and ARGV[5] ~= '0' then
		redis.call('XADD', KEYS[1], '*', 'e', ARGV[4], 'i', ARGV[5])
	else
		redis.call('XADD', KEYS[1], '*', 'e', ARGV[4])
	end
else
	bury(KEYS[3], KEYS[4], ARGV[5], ARGV[4], ARGV[6], ARGV[7], ARGV[8])
end
return 1
`)

// reclaimScript takes entries from a dead worker and puts them back on the
// stream as new entries, counting the interruption; the attempt itself is
// not counted as failed. An entry without an envelope (no field e), which
// no worker could run, goes to the dead letter set under its entry ID,
// saying so, as a worker files such an entry when it reads one.
//
// KEYS: stream, dead, dead records. ARGV: group, this worker, min idle ms,
// now ms, dead max length, dead max age ms (0: no limit), entry IDs... It
// returns the number of entries put back or dead-lettered.
var reclaimScript = redis.NewScript(buryLua + `
local n = 0
for i = 7, #ARGV do
	local got = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[i])
	local entry = got[1]
	if entry then
		local f = entry[2]
		local env, intr = nil, 0
		for j = 1, #f, 2 do
			if f[j] == 'e' then env = f[j+1] elseif f[j] == 'i' then intr = tonumber(f[j+1]) or 0 end
		end
		if env then
			redis.call('XADD', KEYS[1], '*', 'e', env, 'i', intr + 1)
		else
			local fields = string.sub(cjson.encode(f), 1, 500)
			local msg = 'tenantgen: undecodable task envelope: stream entry without field "e" (fields ' .. fields .. '), reclaimed from a dead worker'
			local rec = '{"e":"","err":' .. cjson.encode(msg) .. ',"n":0,"died":' .. ARGV[4] .. '}'
			bury(KEYS[2], KEYS[3], ARGV[i], rec, ARGV[4], ARGV[5], ARGV[6])
		end
		n = n + 1
		redis.call('XACK', KEYS[1], ARGV[1], ARGV[i])
		redis.call('XDEL', KEYS[1], ARGV[i])
	end
end
return n
`)

// dropConsumerScript deletes a consumer of a stream's group, unless entries
// are still pending under it: XGROUP DELCONSUMER would forget them, and
// since they were delivered already no other consumer would ever read them.
// A consumer kept for its pending entries is reclaimed once its worker's
// liveness key has expired (see reclaimScript).
//
// KEYS: stream. ARGV: group, consumer. It returns 1 if the consumer was
// deleted (or did not exist), 0 if it was kept.
var dropConsumerScript = redis.NewScript(`
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then
	return 0
end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
`)

// requeueDeadScript moves a dead task back to the stream.
//
// KEYS: dead, dead records, stream. ARGV: task ID, envelope. It returns 0
// if the task is no longer dead.
var requeueDeadScript = redis.NewScript(`
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then
	return 0
end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('XADD', KEYS[3], '*', 'e', ARGV[2])
return 1
`)
