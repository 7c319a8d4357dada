package queue

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Batch adds tasks to their queues in one round trip: a pipeline of XADD
// for ready tasks, ZADD for delayed ones and uniqueScript for unique ones.
// Add the tasks, then call Exec once.
type Batch struct {
	c       *Client
	pipe    redis.Pipeliner
	uniques map[int]uniqueAdd // by the index given to Add; nil until one
	k       keys              // of queue kQueue: the tasks of a batch tend to share a queue
	kQueue  string
}

// uniqueAdd is the unique script call of a task, and the task's ID.
type uniqueAdd struct {
	cmd *redis.Cmd
	id  string
}

// Batch returns an empty batch.
func (c *Client) Batch() Batch {
	return Batch{c: c, pipe: c.rdb.Pipeline()}
}

// Add signs env when the Client has signing keys, encodes it and queues
// the command that adds it to its queue. The task starts at due, or now if
// due is zero. A positive unique window makes it a unique task, locked for
// the window on key or, if key is empty, on its name, tenant and arguments;
// i names it in the duplicates that Exec returns. The error is that of
// encoding env.
func (b *Batch) Add(ctx context.Context, i int, env *Envelope, due time.Time, unique time.Duration, key string) error {
	if b.c.signer != nil {
		b.c.signer.sign(env)
	}
	data, err := env.encode()
	if err != nil {
		return err
	}
	if env.Queue != b.kQueue {
		b.k, b.kQueue = queueKeys(b.c.cfg.Prefix, env.Queue), env.Queue
	}
	k := &b.k
	switch {
	case unique > 0:
		if b.uniques == nil {
			b.uniques = make(map[int]uniqueAdd)
		}
		dueMS := "0"
		if !due.IsZero() {
			dueMS = strconv.FormatInt(ceilMilli(due), 10)
		}
		lock := k.uniqueLock(env.Name, env.Tenant, env.Args)
		if key != "" {
			lock = k.keyLock(key)
		}
		cmd := uniqueScript.Eval(ctx, b.pipe, []string{lock, k.stream, k.delayed},
			env.ID, unique.Milliseconds(), data, dueMS)
		b.uniques[i] = uniqueAdd{cmd, env.ID}
	case due.IsZero():
		b.pipe.XAdd(ctx, &redis.XAddArgs{Stream: k.stream, Values: []string{fieldEnvelope, data}})
	default:
		b.pipe.ZAdd(ctx, k.delayed, redis.Z{Score: float64(ceilMilli(due)), Member: data})
	}
	return nil
}

// Exec sends the commands of the batch. For each unique task that was a
// duplicate, it returns the ID of the task that holds its lock, by the
// index given to Add; the map is nil when there are none.
func (b *Batch) Exec(ctx context.Context) (map[int]string, error) {
	if b.pipe.Len() > 0 {
		if _, err := b.pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("tenantgen: enqueue: %w", err)
		}
	}
	var dups map[int]string
	for i, u := range b.uniques {
		holder, err := u.cmd.Text()
		if err != nil {
			return nil, fmt.Errorf("tenantgen: enqueue: %w", err)
		}
		if holder != u.id {
			if dups == nil {
				dups = make(map[int]string)
			}
			dups[i] = holder
		}
	}
	return dups, nil
}
