package queue

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// History keys. Workers count the attempts that end in memory and add the
// counts to Redis with each heartbeat, one pipelined HINCRBY per queue and
// minute: never a round trip per task. Both hashes live under the hash tag
// of the queue's partition 0 and expire on their own.
const (
	historyTTL     = 2 * time.Hour    // of a minute's counts: the dashboards show the last hour
	failureBucket  = 5 * time.Minute  // the span of a hash of failures by tenant
	failureTTL     = 70 * time.Minute // of a hash of failures by tenant
	failureBuckets = 12               // read for "the last hour": 12 buckets of 5 minutes
)

// minuteKey names the hash of a queue's counts in the minute starting at
// Unix minute m: fields p (attempts that ended) and f (failed ones).
func (k keys) minuteKey(m int64) string { return k.base + "h:" + strconv.FormatInt(m, 10) }

// failureKey names the hash of a queue's failed attempts by tenant ("-":
// public tasks) in the 5-minute bucket b (Unix time / 5 minutes).
func (k keys) failureKey(b int64) string { return k.base + "hf:" + strconv.FormatInt(b, 10) }

// tally counts the attempts of one queue that ended in this worker since
// its last heartbeat.
type tally struct {
	done, failed atomic.Int64
	mu           sync.Mutex
	tenants      map[string]int64 // failures by tenant
}

// count records the end of an attempt of a task of tenant in queue.
func (w *Worker) count(queue, tenant string, failed bool) {
	t := w.insp.tallies[queue]
	if t == nil {
		return
	}
	t.done.Add(1)
	if !failed {
		return
	}
	t.failed.Add(1)
	if tenant == "" {
		tenant = "-"
	}
	t.mu.Lock()
	t.tenants[tenant]++
	t.mu.Unlock()
}

// flushed is what a heartbeat took from the tallies, to put back if its
// pipeline failed.
type flushed struct {
	t            *tally
	done, failed int64
	tenants      map[string]int64
}

// flushTallies queues in pipe the counts since the last heartbeat, and
// returns them.
func (w *Worker) flushTallies(ctx context.Context, pipe redis.Pipeliner, now time.Time) []flushed {
	var out []flushed
	minute := now.Unix() / 60
	bucket := now.Unix() / int64(failureBucket/time.Second)
	for q, t := range w.insp.tallies {
		f := flushed{t: t, done: t.done.Swap(0), failed: t.failed.Swap(0)}
		if f.done == 0 && f.failed == 0 {
			continue
		}
		t.mu.Lock()
		if len(t.tenants) > 0 {
			f.tenants, t.tenants = t.tenants, map[string]int64{}
		}
		t.mu.Unlock()
		k := queueKeys(w.cfg.Prefix, q, 0)
		mk := k.minuteKey(minute)
		pipe.HIncrBy(ctx, mk, "p", f.done)
		if f.failed > 0 {
			pipe.HIncrBy(ctx, mk, "f", f.failed)
		}
		pipe.Expire(ctx, mk, historyTTL)
		if len(f.tenants) > 0 {
			fk := k.failureKey(bucket)
			for tenant, n := range f.tenants {
				pipe.HIncrBy(ctx, fk, tenant, n)
			}
			pipe.Expire(ctx, fk, failureTTL)
		}
		out = append(out, f)
	}
	return out
}

// restore puts back counts whose heartbeat failed, for the next one.
func restore(list []flushed) {
	for _, f := range list {
		f.t.done.Add(f.done)
		f.t.failed.Add(f.failed)
		if len(f.tenants) == 0 {
			continue
		}
		f.t.mu.Lock()
		for tenant, n := range f.tenants {
			f.t.tenants[tenant] += n
		}
		f.t.mu.Unlock()
	}
}

// Minute is one minute of a queue's history.
type Minute struct {
	Start             time.Time
	Processed, Failed int64
}

// History returns the counts of queue per minute from since to now, oldest
// first, zeros included; since is clamped to an hour before now.
func (c *Client) History(ctx context.Context, queue string, since, now time.Time) ([]Minute, error) {
	from := max(since.Unix(), now.Add(-time.Hour).Unix()) / 60
	k := queueKeys(c.cfg.Prefix, queue, 0)
	pipe := c.rdb.Pipeline()
	var cmds []*redis.SliceCmd
	var out []Minute
	for m := from; m <= now.Unix()/60; m++ {
		cmds = append(cmds, pipe.HMGet(ctx, k.minuteKey(m), "p", "f"))
		out = append(out, Minute{Start: time.Unix(m*60, 0)})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("tenantgen: history of queue %q: %w", queue, err)
	}
	for i, cmd := range cmds {
		v := cmd.Val()
		out[i].Processed, out[i].Failed = parseCount(v[0]), parseCount(v[1])
	}
	return out, nil
}

// parseCount returns the integer of an HMGET value, 0 if absent.
func parseCount(v any) int64 {
	s, _ := v.(string)
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// failureCmds queues in pipe the reads of the last hour's failures of
// queue by tenant.
func (c *Client) failureCmds(ctx context.Context, pipe redis.Pipeliner, queue string, now time.Time) []*redis.MapStringStringCmd {
	k := queueKeys(c.cfg.Prefix, queue, 0)
	last := now.Unix() / int64(failureBucket/time.Second)
	cmds := make([]*redis.MapStringStringCmd, 0, failureBuckets)
	for b := last - failureBuckets + 1; b <= last; b++ {
		cmds = append(cmds, pipe.HGetAll(ctx, k.failureKey(b)))
	}
	return cmds
}

// sumFailures adds up the failures by tenant that failureCmds read.
func sumFailures(cmds []*redis.MapStringStringCmd) map[string]int64 {
	sum := map[string]int64{}
	for _, cmd := range cmds {
		for t, n := range cmd.Val() {
			v, _ := strconv.ParseInt(n, 10, 64)
			sum[t] += v
		}
	}
	return sum
}

// inspectState is what a Worker keeps for the Inspector: its attempt
// counts, its description, and the cancel functions of its running tasks.
type inspectState struct {
	tallies map[string]*tally // by queue; fixed once the Worker is made
	status  workerStatus
	cancels *cancels
}

// newInspectState returns the state of a worker of queues.
func newInspectState(queues []string, status workerStatus) inspectState {
	st := inspectState{tallies: make(map[string]*tally, len(queues)), status: status}
	for _, q := range queues {
		st.tallies[q] = &tally{tenants: map[string]int64{}}
	}
	st.cancels = &cancels{running: map[string]*cancelled{}}
	return st
}
