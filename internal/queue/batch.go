package queue

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Batch adds tasks to their queues in one round trip: a pipeline of
// enqueueScript calls, which add a ready task to its lane, a delayed one to
// the delayed set, and a unique one under its lock. Add the tasks, then call
// Exec once.
type Batch struct {
	c       *Client
	pipe    redis.Pipeliner
	uniques map[int]uniqueAdd // by the index given to Add; nil until one
	k       keys              // of queue kQueue, partition kPart: the tasks of a batch tend to share them
	kQueue  string
	kPart   int
}

// uniqueAdd is the unique script call of a task, and the task's ID.
type uniqueAdd struct {
	cmd *redis.Cmd
	id  string
}

// PayloadError is the error of a task whose encoded envelope is larger than
// Config.MaxPayload.
type PayloadError struct {
	Size, Limit int // bytes
}

func (e *PayloadError) Error() string {
	return fmt.Sprintf("tenantgen: the task is %d bytes encoded, over the limit of %d bytes", e.Size, e.Limit)
}

// Batch returns an empty batch.
func (c *Client) Batch() Batch {
	return Batch{c: c, pipe: c.rdb.Pipeline(), kPart: -1}
}

// Add signs env when the Client has signing keys, encodes it and queues
// the command that adds it to its queue. The task starts at due, or now if
// due is zero. A positive unique window makes it a unique task, locked for
// the window on key or, if key is empty, on its name, tenant and arguments;
// i names it in the duplicates that Exec returns. The error is that of
// encoding env, or a *PayloadError.
func (b *Batch) Add(ctx context.Context, i int, env *Envelope, due time.Time, unique time.Duration, key string) error {
	if b.c.signer != nil {
		b.c.signer.sign(env)
	}
	data, err := env.encode()
	if err != nil {
		return err
	}
	if limit := b.c.cfg.MaxPayload; limit > 0 && len(data) > limit {
		return &PayloadError{Size: len(data), Limit: limit}
	}
	part := partitionOf(env.Tenant, b.c.partitions(env.Queue))
	if env.Queue != b.kQueue || part != b.kPart {
		b.k, b.kQueue, b.kPart = queueKeys(b.c.cfg.Prefix, env.Queue, part), env.Queue, part
	}
	k := &b.k
	dueMS := "0"
	if !due.IsZero() {
		dueMS = strconv.FormatInt(ceilMilli(due), 10)
	}
	route := routeKey(env.Tenant, env.Name)
	if unique <= 0 {
		enqueueScript.EvalSha(ctx, b.pipe, []string{k.ring}, k.base, route, data, dueMS)
		return nil
	}
	if b.uniques == nil {
		b.uniques = make(map[int]uniqueAdd)
	}
	lock := k.uniqueLock(env.Name, env.Tenant, env.Args)
	if key != "" {
		lock = k.keyLock(key)
	}
	cmd := enqueueScript.EvalSha(ctx, b.pipe, []string{k.ring, lock}, k.base, route, data, dueMS, env.ID, unique.Milliseconds())
	b.uniques[i] = uniqueAdd{cmd, env.ID}
	return nil
}

// Exec sends the commands of the batch. For each unique task that was a
// duplicate, it returns the ID of the task that holds its lock, by the
// index given to Add; the map is nil when there are none.
func (b *Batch) Exec(ctx context.Context) (map[int]string, error) {
	if b.pipe.Len() > 0 {
		if err := execPipe(ctx, b.c.rdb, b.pipe); err != nil {
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
