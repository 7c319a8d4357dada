package runtime

import "github.com/redis/go-redis/v9"

// Scripts change several keys of one queue atomically. Each receives every
// key it touches through KEYS, all under the queue's hash tag.

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
// ("retry", "requeue" or "dead"), envelope or dead record, due time ms (for
// retry) or task ID (for dead), now ms, dead max length, dead max age ms
// (0: no limit). It returns 1, or 0 if the entry was no longer pending.
var settleScript = redis.NewScript(`
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
	redis.call('XADD', KEYS[1], '*', 'e', ARGV[4])
else
	redis.call('ZADD', KEYS[3], ARGV[6], ARGV[5])
	redis.call('HSET', KEYS[4], ARGV[5], ARGV[4])
	local maxAge = tonumber(ARGV[8])
	if maxAge > 0 then
		local old = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', tonumber(ARGV[6]) - maxAge, 'LIMIT', 0, 1000)
		if #old > 0 then
			redis.call('ZREM', KEYS[3], unpack(old))
			redis.call('HDEL', KEYS[4], unpack(old))
		end
	end
	local extra = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[7])
	if extra > 0 then
		local old = redis.call('ZRANGE', KEYS[3], 0, extra - 1)
		redis.call('ZREM', KEYS[3], unpack(old))
		redis.call('HDEL', KEYS[4], unpack(old))
	end
end
return 1
`)

// reclaimScript takes entries from a dead worker and puts them back on the
// stream as new entries, counting the interruption; the attempt itself is
// not counted as failed.
//
// KEYS: stream. ARGV: group, this worker, min idle ms, entry IDs... It
// returns the number of entries put back.
var reclaimScript = redis.NewScript(`
local n = 0
for i = 4, #ARGV do
	local got = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[i])
	local entry = got[1]
	if entry then
		local f = entry[2]
		local env, intr = nil, 0
		for j = 1, #f, 2 do
			if f[j] == 'e' then env = f[j+1] elseif f[j] == 'i' then intr = tonumber(f[j+1]) end
		end
		if env then
			redis.call('XADD', KEYS[1], '*', 'e', env, 'i', intr + 1)
			n = n + 1
		end
		redis.call('XACK', KEYS[1], ARGV[1], ARGV[i])
		redis.call('XDEL', KEYS[1], ARGV[i])
	end
end
return n
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
