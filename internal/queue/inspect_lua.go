package queue

// deadLua defines the Lua functions that keep the dead letter set's index
// by tenant, which lets the Inspector count and list a tenant's dead tasks
// without reading every record: dc, a hash of tenant ("-" for public
// tasks) to its number of dead tasks, and dt:<tenant>, a sorted set of its
// dead task IDs scored by death time. bury (buryLua) and every script that
// removes dead tasks call them.
//
//   - deadTenant(record) is the tenant of a dead record, "-" for a public
//     task or a record without an envelope. Records are JSON written by
//     encoding/json with the envelope first, so a pattern reads the tenant
//     without decoding the whole record; other shapes are decoded.
//   - deadIndex(dead, id, record, now) indexes a task just added to the
//     dead set dead (the key of its index ZSET; the partition's base is
//     that key without its last letter).
//   - deadUnindex(dead, records, ids) removes the tasks ids from the index,
//     before their records are deleted. A record written before the index
//     existed is in no index, and is counted nowhere.
const deadLua = `
local function deadTenant(record)
	local t = string.match(record, '^{"e":"{\\"v\\":%d+,\\"id\\":\\"[^\\]*\\",\\"task\\":\\"[^\\]*\\",\\"tenant\\":\\"([^\\]*)\\"')
	if t then return t end
	if not string.find(record, 'tenant', 1, true) then return '-' end
	local ok, r = pcall(cjson.decode, record)
	if ok and type(r) == 'table' and type(r.e) == 'string' then
		local ok2, e = pcall(cjson.decode, r.e)
		if ok2 and type(e) == 'table' and type(e.tenant) == 'string' and e.tenant ~= '' then return e.tenant end
	end
	return '-'
end
local function deadIndex(dead, id, record, now)
	local base = string.sub(dead, 1, -2)
	local t = deadTenant(record)
	redis.call('HINCRBY', base .. 'dc', t, 1)
	redis.call('ZADD', base .. 'dt:' .. t, now, id)
end
local function deadUnindex(dead, records, ids)
	if #ids == 0 then return end
	local base = string.sub(dead, 1, -2)
	local recs = redis.call('HMGET', records, unpack(ids))
	for i = 1, #ids do
		local r = recs[i]
		if r then
			local t = deadTenant(r)
			if redis.call('ZREM', base .. 'dt:' .. t, ids[i]) == 1 then
				if redis.call('HINCRBY', base .. 'dc', t, -1) <= 0 then redis.call('HDEL', base .. 'dc', t) end
			end
		end
	end
end
`

// lanesLua defines the Lua functions that read the lanes with ready tasks
// of a partition, for the Inspector.
//
//   - readyLanes(base) returns the lanes of the ring, held, full and wait:
//     every lane with ready tasks, each once (a lane is in one of them).
//   - tenantOfEnvelope(env) is the tenant of an envelope, "-" for a public
//     task, read by a pattern: envelopes start with v, id, task and tenant.
//   - isRetry(env) reports whether a delayed envelope is a retry (it has
//     failed attempts, field n, which comes just before r).
//
// isRetry looks for its field with a plain search, and uses a pattern
// only where one was found: a pattern tried at every position of every
// element costs Redis several times more (BenchmarkInspector).
const lanesLua = `
local function readyLanes(base)
	local lanes = redis.call('LRANGE', base .. 'r', 0, -1)
	for _, l in ipairs(redis.call('SMEMBERS', base .. 'held')) do lanes[#lanes + 1] = l end
	for _, l in ipairs(redis.call('SMEMBERS', base .. 'full')) do lanes[#lanes + 1] = l end
	for _, l in ipairs(redis.call('ZRANGE', base .. 'wait', 0, -1)) do lanes[#lanes + 1] = l end
	return lanes
end
local function tenantOfEnvelope(env)
	local t = string.match(env, '^{"v":%d+,"id":"[^"]*","task":"[^"]*","tenant":"([^"]*)"')
	if t and t ~= '' then return t end
	return '-'
end
local function isRetry(env)
	local p = string.find(env, ',"n":', 1, true)
	while p do
		if string.find(env, '^,"n":%d+,"r":%d+[,}]', p) then return true end
		p = string.find(env, ',"n":', p + 5, true)
	end
	return false
end
`
