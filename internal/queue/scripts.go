package queue

import "github.com/redis/go-redis/v9"

// Scripts change several keys of one partition of a queue atomically. Each
// receives one key of the partition through KEYS, which routes it to the
// partition's node on Redis Cluster, and the partition's key prefix (base,
// "<prefix>:{<tag>}:") in ARGV, from which it builds the names of the keys
// it touches: lane lists and rate keys are named after lanes that only the
// script learns. Every name built that way carries the partition's hash
// tag, so it lies in the slot of the declared key (docs/queue.md, "Redis
// Cluster").

// buryLua defines the Lua function bury, which the scripts that dead-letter
// tasks start with. bury(dead, records, id, record, now, maxLen, maxAge)
// files record under id in the dead letter set (keys dead and records), then
// trims the set to maxLen entries and, when maxAge is positive, removes the
// entries dead for more than maxAge ms. now, maxLen and maxAge are
// strings of integers, as ARGV holds them. It keeps the per-tenant index
// of the dead letter set (deadLua, inspect_lua.go) in step.
const buryLua = deadLua + `
local function bury(dead, records, id, record, now, maxLen, maxAge)
	if redis.call('ZADD', dead, now, id) == 1 then deadIndex(dead, id, record, now) end
	redis.call('HSET', records, id, record)
	maxLen, maxAge = tonumber(maxLen), tonumber(maxAge)
	if maxAge > 0 then
		local old = redis.call('ZRANGEBYSCORE', dead, '-inf', tonumber(now) - maxAge, 'LIMIT', 0, 1000)
		if #old > 0 then
			deadUnindex(dead, records, old)
			redis.call('ZREM', dead, unpack(old))
			redis.call('HDEL', records, unpack(old))
		end
	end
	local extra = redis.call('ZCARD', dead) - maxLen
	if extra > 0 then
		local old = redis.call('ZRANGE', dead, 0, extra - 1)
		deadUnindex(dead, records, old)
		redis.call('ZREM', dead, unpack(old))
		redis.call('HDEL', records, unpack(old))
	end
end
`

// laneLua defines the Lua functions that keep the lane invariant: a lane is
// in exactly one of the ring (r), the held lanes of paused tenants (held),
// the lanes at their concurrency cap (full) and the lanes waiting for their
// rate (wait) while its list is non-empty, and in none once it is empty.
//
//   - wake(base) leaves one wake token in k, for idle workers.
//   - tenantOf(lane) is the tenant of a lane, ” for the public lane '-'.
//   - activate(base, lane, front) files a lane whose list just became
//     non-empty: held if its tenant is paused, else at the tail of the ring
//     (the head with front), waking a worker.
//   - push(base, lane, elem, front) adds a lane element, at the front for a
//     task handed back, and activates the lane if it was idle: a lane of
//     handed-back tasks at the head of the ring, where it would have been
//     had its tasks not been taken.
//   - route(base, key) is the lane of a task with route key key ("-" or
//     "<tenant>:<task>"): the whole key if the task has limits of its own (a
//     ":<task>" record in lim), else the tenant.
//   - routeEnvelope(base, env) routes a task of the old layout, which
//     carries no lane, from its envelope's tenant and task.
//   - markRun(run) makes sure that the hash run of running counts holds
//     its marker: the empty field, with a value longer than a listpack's,
//     so that Redis keeps the hash a hash table, where finding a lane's
//     count costs the same with 10 lanes running as with 10,000 (a
//     listpack, the encoding of small hashes, is searched field by field).
//   - uncount(run, lanes, n) deletes the counts of the first n of lanes
//     (they reached zero), and run itself once only its marker is left, so
//     that an idle queue costs no memory.
//   - release(base, lane, n) ends the counts of n tasks (default 1)
//     counted against their lane's cap; a lane parked at its cap goes back
//     to the ring.
//   - element(intr, env) is the lane element of a task: the envelope,
//     after the interrupt count when there is one (envelopes start with
//     "{", so the count needs no separator).
const laneLua = `
local function wake(base)
	if redis.call('LLEN', base .. 'k') == 0 then
		redis.call('RPUSH', base .. 'k', '1')
	end
end
local function tenantOf(lane)
	if lane == '-' then return '' end
	local i = string.find(lane, ':', 1, true)
	if i then return string.sub(lane, 1, i - 1) end
	return lane
end
local function activate(base, lane, front)
	local t = tenantOf(lane)
	if t ~= '' and redis.call('SISMEMBER', base .. 'pt', t) == 1 then
		redis.call('SADD', base .. 'held', lane)
		return
	end
	redis.call(front and 'LPUSH' or 'RPUSH', base .. 'r', lane)
	wake(base)
end
local function push(base, lane, elem, front)
	local n = redis.call(front and 'LPUSH' or 'RPUSH', base .. 'l:' .. lane, elem)
	if n == 1 then activate(base, lane, front) end
end
local function route(base, key)
	if key == '-' then return key end
	local i = string.find(key, ':', 1, true)
	if not i then return key end
	if redis.call('HEXISTS', base .. 'lim', string.sub(key, i)) == 1 then return key end
	return string.sub(key, 1, i - 1)
end
local function routeEnvelope(base, env)
	local ok, e = pcall(cjson.decode, env)
	if not ok or type(e) ~= 'table' or type(e.tenant) ~= 'string' or e.tenant == '' then return '-' end
	return route(base, e.tenant .. ':' .. tostring(e.task))
end
local function markRun(run)
	redis.call('HSETNX', run, '', 'tenantgen: this field keeps the hash a hash table, whose lookups cost the same whatever the number of lanes running')
end
local function uncount(run, lanes, n)
	for j = 1, n, 500 do redis.call('HDEL', run, unpack(lanes, j, math.min(j + 499, n))) end
	if redis.call('HLEN', run) == 1 and redis.call('HEXISTS', run, '') == 1 then
		redis.call('DEL', run)
	end
end
local function release(base, lane, n)
	local run = base .. 'run'
	if redis.call('HINCRBY', run, lane, -(n or 1)) <= 0 then
		uncount(run, {lane}, 1)
	end
	if redis.call('SREM', base .. 'full', lane) == 1 then
		redis.call('RPUSH', base .. 'r', lane)
		wake(base)
	end
end
local function element(intr, env)
	if intr and intr > 0 then return intr .. env end
	return env
end
`

// settleScript ends a delivery that did not succeed: it acknowledges and
// deletes the delivered entry (ending its count if it counted against a
// cap), then schedules a retry, hands the task back to the front of its
// lane, or moves it to the dead letter set. It does nothing if the entry is
// no longer pending: another worker reclaimed it (this worker was taken for
// dead) or it was settled already, and the task must not be queued twice.
//
// KEYS: stream. ARGV: base, group, entry ID ("": none), action ("retry",
// "requeue" or "dead"), payload (retry: the delayed member, route key and
// envelope; requeue: the envelope; dead: the record), then the due time ms
// (retry), the interrupt count to keep (requeue; "" or "0": none) or the
// task ID (dead), now ms, dead max length, dead max age ms (0: no limit),
// the entry's lane ("": route the task), "1" if the entry counted against
// its lane's cap, and the task's route key for a requeue without a lane
// ("": route by the envelope). It returns 1, or 0 if the entry was no
// longer pending.
var settleScript = redis.NewScript(buryLua + laneLua + `
local base = ARGV[1]
if ARGV[3] ~= '' then
	if redis.call('XACK', KEYS[1], ARGV[2], ARGV[3]) == 0 then
		return 0
	end
	redis.call('XDEL', KEYS[1], ARGV[3])
end
local lane = ARGV[10]
if ARGV[11] == '1' then release(base, lane) end
local action = ARGV[4]
if action == 'retry' then
	redis.call('ZADD', base .. 'z', ARGV[6], ARGV[5])
elseif action == 'requeue' then
	if lane == '' then
		if ARGV[12] ~= '' then lane = route(base, ARGV[12]) else lane = routeEnvelope(base, ARGV[5]) end
	end
	push(base, lane, element(tonumber(ARGV[6]), ARGV[5]), true)
else
	bury(base .. 'd', base .. 'dh', ARGV[6], ARGV[5], ARGV[7], ARGV[8], ARGV[9])
end
return 1
`)

// reclaimScript takes entries from a dead worker and puts their tasks back
// at the front of their lanes, counting the interruption and ending their
// count against a cap; the attempt itself is not counted as failed. An
// entry without an envelope (no field e), which no worker could run, goes
// to the dead letter set under its entry ID, saying so, as a worker files
// such an entry when it reads one.
//
// The same script hands back entries pending under a live worker that it
// never received (see recoverOwn): those did not run, so it counts no
// interruption for them (bump "0").
//
// KEYS: stream. ARGV: base, group, this worker, min idle ms, now ms, dead
// max length, dead max age ms (0: no limit), bump ("1": count an
// interruption), entry IDs... It returns the number of entries put back or
// dead-lettered.
var reclaimScript = redis.NewScript(buryLua + laneLua + `
local base = ARGV[1]
local bump = tonumber(ARGV[8])
local n = 0
for i = 9, #ARGV do
	local got = redis.call('XCLAIM', KEYS[1], ARGV[2], ARGV[3], ARGV[4], ARGV[i])
	local entry = got[1]
	if entry then
		local f = entry[2]
		local env, intr, lane, counted = nil, 0, nil, false
		for j = 1, #f, 2 do
			local k = f[j]
			if k == 'e' then env = f[j+1]
			elseif k == 'i' then intr = tonumber(f[j+1]) or 0
			elseif k == 'l' then lane = f[j+1]
			elseif k == 'c' then counted = f[j+1] == '1' end
		end
		if env then
			lane = lane or routeEnvelope(base, env)
			if counted then release(base, lane) end
			push(base, lane, element(intr + bump, env), true)
		else
			local fields = string.sub(cjson.encode(f), 1, 500)
			local msg = 'tenantgen: undecodable task envelope: stream entry without field "e" (fields ' .. fields .. '), reclaimed from ' .. (bump == 1 and 'a dead worker' or 'a delivery its worker never received')
			local rec = '{"e":"","err":' .. cjson.encode(msg) .. ',"n":0,"died":' .. ARGV[5] .. '}'
			bury(base .. 'd', base .. 'dh', ARGV[i], rec, ARGV[5], ARGV[6], ARGV[7])
		end
		n = n + 1
		redis.call('XACK', KEYS[1], ARGV[2], ARGV[i])
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

// requeueDeadScript moves a dead task back to the tail of its lane.
//
// KEYS: dead. ARGV: base, task ID, route key, envelope. It returns 0 if the
// task is no longer dead.
var requeueDeadScript = redis.NewScript(deadLua + laneLua + `
local base = ARGV[1]
if redis.call('ZREM', KEYS[1], ARGV[2]) == 0 then
	return 0
end
deadUnindex(KEYS[1], base .. 'dh', {ARGV[2]})
redis.call('HDEL', base .. 'dh', ARGV[2])
push(base, route(base, ARGV[3]), ARGV[4], false)
return 1
`)
