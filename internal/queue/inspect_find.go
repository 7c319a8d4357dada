package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrNotFound is returned by FindTask when no task has the ID.
var ErrNotFound = errors.New("tenantgen: task not found")

// findScript looks for a task in lanes of a partition, reading at most a
// budget of elements per call so that Redis is never blocked for long; the
// caller calls it again from where it stopped.
//
// KEYS: ring. ARGV: base, needle (the envelope's "id" field), budget, the
// offset in the first lane, then the lanes. It returns {1, lane index,
// position, element} when found, else {0, lane index, offset} to go on
// from ({0, #lanes + 1, 0} when every lane was read).
var findScript = redis.NewScript(`
local base, needle, budget = ARGV[1], ARGV[2], tonumber(ARGV[3])
local off = tonumber(ARGV[4])
local read = 0
for i = 5, #ARGV do
	local k = base .. 'l:' .. ARGV[i]
	while true do
		local elems = redis.call('LRANGE', k, off, off + 499)
		for j, e in ipairs(elems) do
			if string.find(e, needle, 1, true) then return {1, i - 4, off + j - 1, e} end
		end
		read = read + #elems
		if #elems < 500 then break end
		off = off + 500
		if read >= budget then return {0, i - 4, off} end
	end
	off = 0
	if read >= budget then return {0, i - 3, 0} end
end
return {0, #ARGV - 3, 0}
`)

// globEscape escapes the glob characters of s for a MATCH pattern.
func globEscape(s string) string {
	var b strings.Builder
	for _, ch := range s {
		if strings.ContainsRune(`*?[]\`, ch) {
			b.WriteByte('\\')
		}
		b.WriteRune(ch)
	}
	return b.String()
}

// FindTask returns task id of queue wherever it is: dead, running,
// delayed or ready, looked for in that order (the cheapest first). The
// delayed set is scanned with ZSCAN and the lanes by findScript, both in
// small steps.
func (c *Client) FindTask(ctx context.Context, queue, id string) (Task, error) {
	parts := c.partitions(queue)
	pipe := c.rdb.Pipeline()
	recs := make([]*redis.StringCmd, parts)
	for i := range parts {
		recs[i] = pipe.HGet(ctx, queueKeys(c.cfg.Prefix, queue, i).deadSet, id)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return Task{}, fmt.Errorf("tenantgen: find task %q: %w", id, err)
	}
	for i, r := range recs {
		if s, err := r.Result(); err == nil {
			return deadTask(queue, i, id, s)
		}
	}
	run, err := c.running(ctx, []string{queue})
	if err != nil {
		return Task{}, err
	}
	for _, r := range run {
		if r.env.ID == id {
			return runningTask(r), nil
		}
	}
	needle := `"id":"` + id + `"`
	for i := range parts {
		k := queueKeys(c.cfg.Prefix, queue, i)
		t, err := c.findDelayed(ctx, k, i, queue, id, needle)
		if err == nil || !errors.Is(err, ErrNotFound) {
			return t, err
		}
	}
	for i := range parts {
		k := queueKeys(c.cfg.Prefix, queue, i)
		t, err := c.findReady(ctx, k, i, queue, id, needle)
		if err == nil || !errors.Is(err, ErrNotFound) {
			return t, err
		}
	}
	return Task{}, fmt.Errorf("%w: no task %q in queue %q (it may have succeeded)", ErrNotFound, id, queue)
}

// findDelayed looks for task id in the delayed set of a partition.
func (c *Client) findDelayed(ctx context.Context, k keys, part int, queue, id, needle string) (Task, error) {
	pattern := "*" + globEscape(needle) + "*"
	var cursor uint64
	for {
		ms, next, err := c.rdb.ZScan(ctx, k.delayed, cursor, pattern, 1000).Result()
		if err != nil {
			return Task{}, fmt.Errorf("tenantgen: find task %q: %w", id, err)
		}
		for i := 0; i+1 < len(ms); i += 2 {
			score, _ := strconv.ParseFloat(ms[i+1], 64) // ZSCAN returns members and scores
			if t := delayedTask(queue, part, ms[i], score); t.ID == id {
				return t, nil
			}
		}
		if cursor = next; cursor == 0 {
			return Task{}, ErrNotFound
		}
	}
}

// findReady looks for task id in the lanes of a partition.
func (c *Client) findReady(ctx context.Context, k keys, part int, queue, id, needle string) (Task, error) {
	lanes, err := c.lanes(ctx, k, "")
	if err != nil {
		return Task{}, fmt.Errorf("tenantgen: find task %q: %w", id, err)
	}
	idx, off := 0, int64(0)
	for idx < len(lanes) {
		args := []any{k.base, needle, 5000, off}
		for _, l := range lanes[idx:min(idx+200, len(lanes))] {
			args = append(args, l.name)
		}
		vals, err := findScript.Run(ctx, c.rdb, []string{k.ring}, args...).Slice()
		if err != nil {
			return Task{}, fmt.Errorf("tenantgen: find task %q: %w", id, err)
		}
		if asInt(vals[0]) == 1 {
			l := lanes[idx+int(asInt(vals[1]))-1]
			elem, _ := vals[3].(string)
			if t := readyTask(queue, part, l.name, asInt(vals[2]), elem); t.ID == id {
				return t, nil
			}
			// The needle was in another task's arguments: go on past it.
			idx, off = idx+int(asInt(vals[1]))-1, asInt(vals[2])+1
			continue
		}
		idx, off = idx+int(asInt(vals[1]))-1, asInt(vals[2])
	}
	return Task{}, ErrNotFound
}
