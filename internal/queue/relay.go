package queue

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// relayScript adds tasks relayed from an outbox to one partition of a
// queue, each at most once per dedup window: a relay that dies after this
// script ran and before it deleted the rows leaves them to another relay,
// whose call then finds the tasks' seen keys and adds nothing. The seen key
// of a task, "o:<id>", is set in the same script as the task is added, so
// a task is never seen without having been added, nor added twice. A
// unique task then takes its lock as uniqueScript does: relayed while its
// lock is held by another task, it is dropped.
//
// KEYS: ring. ARGV: base, dedup window ms, then for each task its ID,
// route key, envelope, due time ms ("0": ready now), unique window ms ("0":
// not unique) and lock name after "u:". It returns, for each task in order,
// "" if it was added or had been already, or the ID of the task holding its
// unique lock.
var relayScript = redis.NewScript(laneLua + `
local base, window = ARGV[1], ARGV[2]
local out = {}
for i = 3, #ARGV, 6 do
	local id, key, env, due, uniq = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4]
	local holder = ''
	if redis.call('SET', base .. 'o:' .. id, '1', 'NX', 'PX', window) then
		local add = true
		if uniq ~= '0' then
			local lock = base .. 'u:' .. ARGV[i+5]
			if not redis.call('SET', lock, id, 'NX', 'PX', uniq) then
				add = false
				local h = redis.call('GET', lock)
				if h ~= id then holder = h end
			end
		end
		if add then
			if due == '0' then
				push(base, route(base, key), env, false)
			else
				redis.call('ZADD', base .. 'z', due, key .. env)
			end
		end
	end
	out[#out + 1] = holder
end
return out
`)

// relayFields is how many ARGV entries relayScript takes per task.
const relayFields = 6

// Relay adds tasks taken from an outbox to their queues in one round trip,
// each at most once within dedup of its first relay, so that relaying the
// same tasks again (their rows were not deleted) adds nothing. For each
// unique task dropped as the duplicate of another, it returns the ID of the
// task that holds its lock, by index in tasks; the map is nil when there
// are none. On an error, some tasks may have been added: relaying them
// again within dedup is safe.
func (c *Client) Relay(ctx context.Context, tasks []Prepared, dedup time.Duration) (map[int]string, error) {
	type group struct {
		k    keys
		args []any // base, window, then relayFields per task
		idx  []int // the index in tasks of each task of args
	}
	var groups []*group
	byPart := map[string]*group{}
	window := strconv.FormatInt(max(dedup.Milliseconds(), 1), 10)
	for i := range tasks {
		t := &tasks[i]
		k := c.keysOf(t.Queue, t.Tenant)
		g := byPart[k.base]
		if g == nil {
			g = &group{k: k, args: []any{k.base, window}}
			byPart[k.base] = g
			groups = append(groups, g)
		}
		uniq := "0"
		if t.Unique > 0 {
			uniq = strconv.FormatInt(max(t.Unique.Milliseconds(), 1), 10)
		}
		g.args = append(g.args, t.ID, routeKey(t.Tenant, t.Name), t.Data, dueMS(t.Due), uniq, t.Lock)
		g.idx = append(g.idx, i)
	}
	pipe := c.rdb.Pipeline()
	type call struct {
		cmd *redis.Cmd
		idx []int
	}
	var calls []call
	for _, g := range groups {
		// Calls of at most enqueueChunk tasks, as Batch.Exec makes.
		for j := 0; j < len(g.idx); j += enqueueChunk {
			end := min(j+enqueueChunk, len(g.idx))
			args := append([]any{g.args[0], g.args[1]}, g.args[2+j*relayFields:2+end*relayFields]...)
			calls = append(calls, call{relayScript.EvalSha(ctx, pipe, []string{g.k.ring}, args...), g.idx[j:end]})
		}
	}
	if len(calls) == 0 {
		return nil, nil
	}
	if _, err := execPipe(ctx, c.rdb, pipe); err != nil {
		return nil, fmt.Errorf("tenantgen: relay: %w", err)
	}
	var dups map[int]string
	for _, cl := range calls {
		holders, err := cl.cmd.StringSlice()
		if err != nil {
			return nil, fmt.Errorf("tenantgen: relay: %w", err)
		}
		for j, h := range holders {
			if h == "" {
				continue
			}
			if dups == nil {
				dups = make(map[int]string)
			}
			dups[cl.idx[j]] = h
		}
	}
	return dups, nil
}
