package queue

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Batch adds tasks to their queues in one round trip: one pipeline of an
// enqueueScript call per partition for the ready tasks, a ZADD per delayed
// task and a uniqueScript call per unique one. Add the tasks, then call
// Exec once.
type Batch struct {
	c       *Client
	pipe    redis.Pipeliner
	uniques map[int]uniqueAdd // by the index given to Add; nil until one
	ready   []*readyAdds      // by partition, in the order first met
	last    *readyAdds        // the tasks of a batch tend to share a partition
}

// enqueueChunk is how many ready tasks one enqueueScript call adds at most.
const enqueueChunk = 1000

// readyAdds are the ready tasks of a batch in one partition: the ARGV of
// its enqueueScript call.
type readyAdds struct {
	queue string
	part  int
	k     keys
	args  []any // base, then route key and envelope pairs
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
	return Batch{c: c, pipe: c.rdb.Pipeline()}
}

// Prepared is a task ready for its queue: its envelope signed (when the Client
// has signing keys) and encoded, with what the scripts need to route and
// lock it. Prepare makes one; Batch.AddTask adds it to a batch, and an
// outbox may store it until a relay adds it with Relay.
type Prepared struct {
	ID, Name, Tenant, Queue string
	Data                    string        // the encoded envelope
	Due                     time.Time     // zero: ready now
	Unique                  time.Duration // positive: a unique task, locked for this window
	Lock                    string        // the unique lock's name after the partition's "u:"; "" unless unique
}

// Prepare signs env when the Client has signing keys and encodes it into a
// Prepared. The task starts at due, or now if due is zero. A positive unique
// window makes it a unique task, locked for the window on key or, if key
// is empty, on its name, tenant and arguments. The error is that of
// encoding env, or a *PayloadError.
func (c *Client) Prepare(env *Envelope, due time.Time, unique time.Duration, key string) (Prepared, error) {
	if !due.IsZero() {
		env.Due = ceilMilli(due)
	}
	if c.signer != nil {
		c.signer.sign(env)
	}
	data, err := env.encode()
	if err != nil {
		return Prepared{}, err
	}
	if limit := c.cfg.MaxPayload; limit > 0 && len(data) > limit {
		return Prepared{}, &PayloadError{Size: len(data), Limit: limit}
	}
	t := Prepared{ID: env.ID, Name: env.Name, Tenant: env.Tenant, Queue: env.Queue, Data: data, Due: due}
	if unique > 0 {
		t.Unique = unique
		t.Lock = uniqueSuffix(env.Name, env.Tenant, env.Args)
		if key != "" {
			t.Lock = keySuffix(key)
		}
	}
	return t, nil
}

// Add prepares env (see Prepare) and queues the command that adds it to
// its queue; i names it in the duplicates that Exec returns.
func (b *Batch) Add(ctx context.Context, i int, env *Envelope, due time.Time, unique time.Duration, key string) error {
	t, err := b.c.Prepare(env, due, unique, key)
	if err != nil {
		return err
	}
	b.AddTask(ctx, i, &t)
	return nil
}

// AddTask queues the command that adds t to its queue; i names it in the
// duplicates that Exec returns.
func (b *Batch) AddTask(ctx context.Context, i int, t *Prepared) {
	part := partitionOf(t.Tenant, b.c.partitions(t.Queue))
	r := b.last
	if r == nil || r.queue != t.Queue || r.part != part {
		r = b.partition(t.Queue, part)
	}
	k := &r.k
	route := routeKey(t.Tenant, t.Name)
	switch {
	case t.Unique <= 0 && t.Due.IsZero():
		r.args = append(r.args, route, t.Data)
		return
	case t.Unique <= 0:
		b.pipe.ZAdd(ctx, k.delayed, redis.Z{Score: float64(ceilMilli(t.Due)), Member: route + t.Data})
		return
	}
	if b.uniques == nil {
		b.uniques = make(map[int]uniqueAdd)
	}
	cmd := uniqueScript.EvalSha(ctx, b.pipe, []string{k.unique + t.Lock}, k.base, route, t.Data, dueMS(t.Due), t.ID, t.Unique.Milliseconds())
	b.uniques[i] = uniqueAdd{cmd, t.ID}
}

// dueMS is a due time as the scripts take it: Unix ms, "0" for now.
func dueMS(due time.Time) string {
	if due.IsZero() {
		return "0"
	}
	return strconv.FormatInt(ceilMilli(due), 10)
}

// partition returns the ready tasks of b in partition part of queue,
// adding them to b.ready if new.
func (b *Batch) partition(queue string, part int) *readyAdds {
	for _, r := range b.ready {
		if r.queue == queue && r.part == part {
			b.last = r
			return r
		}
	}
	k := queueKeys(b.c.cfg.Prefix, queue, part)
	r := &readyAdds{queue: queue, part: part, k: k, args: []any{k.base}}
	b.ready = append(b.ready, r)
	b.last = r
	return r
}

// Exec sends the commands of the batch. For each unique task that was a
// duplicate, it returns the ID of the task that holds its lock, by the
// index given to Add; the map is nil when there are none.
func (b *Batch) Exec(ctx context.Context) (map[int]string, error) {
	for _, r := range b.ready {
		// Calls of at most enqueueChunk tasks, so that a huge batch does
		// not hold Redis in one script for long.
		for i := 1; i < len(r.args); i += 2 * enqueueChunk {
			args := append([]any{r.args[0]}, r.args[i:min(i+2*enqueueChunk, len(r.args))]...)
			enqueueScript.EvalSha(ctx, b.pipe, []string{r.k.ring}, args...)
		}
	}
	if b.pipe.Len() > 0 {
		if _, err := execPipe(ctx, b.c.rdb, b.pipe); err != nil {
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
