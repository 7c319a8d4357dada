package queue

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// keys names the Redis keys of one partition of a queue. Every key of a
// partition carries its hash tag ({queue}, or {queue#p} for partition p > 0),
// so that a partition lives in one Redis Cluster slot. Scripts receive one of
// these keys through KEYS, which routes them to the partition's node, and
// build the names of the others (lanes, rate keys) from base inside Lua: the
// same hash tag puts them in the same slot. docs/queue.md describes each key.
type keys struct {
	base    string // prefix of every key: "<prefix>:{<tag>}:"
	stream  string // STREAM: the ledger of tasks in flight, read by the consumer group
	delayed string // ZSET of delayed tasks and retries, scored by due time (ms)
	dead    string // ZSET of dead task IDs, scored by death time (ms)
	deadSet string // HASH of dead task ID to its record
	unique  string // prefix of the unique locks: STRING per task+tenant+args hash
	ring    string // LIST of the lanes that have ready tasks and may start
	wake    string // LIST holding at most one wake token for idle workers
	limits  string // HASH of limits records: tenant overrides and ":<task>" records
	paused  string // STRING: present while the queue is paused
	pausedT string // SET of the tenants paused in this queue
	held    string // SET of the lanes of paused tenants
}

// queueKeys returns the keys of partition part of queue.
func queueKeys(prefix, queue string, part int) keys {
	tag := queue
	if part > 0 {
		tag += "#" + strconv.Itoa(part)
	}
	base := prefix + ":{" + tag + "}:"
	return keys{
		base:    base,
		stream:  base + "s",
		delayed: base + "z",
		dead:    base + "d",
		deadSet: base + "dh",
		unique:  base + "u:",
		ring:    base + "r",
		wake:    base + "k",
		limits:  base + "lim",
		paused:  base + "p",
		pausedT: base + "pt",
		held:    base + "held",
	}
}

// lane returns the key of the list of a lane's ready tasks.
func (k keys) lane(lane string) string { return k.base + "l:" + lane }

// uniqueLock names the lock of a unique task: 128 bits of SHA-256 over its
// name, tenant and encoded arguments, under the queue's hash tag.
func (k keys) uniqueLock(name, tenant string, args []byte) string {
	return k.unique + uniqueSuffix(name, tenant, args)
}

// uniqueSuffix is the name of a unique task's lock after the prefix of
// the unique locks.
func uniqueSuffix(name, tenant string, args []byte) string {
	sum := sha256.Sum256([]byte(name + "\x00" + tenant + "\x00" + string(args)))
	return hex.EncodeToString(sum[:16])
}

// keySuffix is the name of the lock of a Request.UniqueKey after the
// prefix of the unique locks.
func keySuffix(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "k:" + hex.EncodeToString(sum[:16])
}

// publicLane is the lane of public tasks. Tenant IDs cannot start with "-".
const publicLane = "-"

// routeKey is what the scripts choose a task's lane from: "-" for a public
// task, else "<tenant>:<task>". The scripts use the whole key as the lane if
// the task has limits of its own (a ":<task>" record in the limits hash),
// else the tenant alone. Neither tenant IDs nor task names contain ":" or
// "{" (internal/names), which is what lets the scripts split it and lets an
// envelope, which starts with "{", follow it in one string.
func routeKey(tenant, task string) string {
	if tenant == "" {
		return publicLane
	}
	return tenant + ":" + task
}

// partitionOf returns the partition of a queue with parts partitions that
// tenant's tasks live in: a stable hash of the tenant ID (FNV-1a), so that
// every process agrees. Public tasks live in partition 0.
func partitionOf(tenant string, parts int) int {
	if parts <= 1 || tenant == "" {
		return 0
	}
	h := uint32(2166136261)
	for i := 0; i < len(tenant); i++ {
		h = (h ^ uint32(tenant[i])) * 16777619
	}
	return int(h % uint32(parts))
}

// workerKey names the liveness key of a worker process. It is refreshed
// every heartbeat and expires when the process dies.
func workerKey(prefix, worker string) string { return prefix + ":w:" + worker }

// group is the name of the consumer group that workers read streams with.
const group = "w"

// Stream entry fields.
const (
	fieldEnvelope   = "e" // the encoded envelope
	fieldInterrupts = "i" // how many workers died running this attempt
	fieldLane       = "l" // the lane the task came from; absent in entries of the old layout
	fieldCounted    = "c" // "1": the task counts against its lane's concurrency cap
)

// Keys of the Inspector's indexes and counters (docs/queue.md).

// deadCount names the hash of each tenant's number of dead tasks.
func (k keys) deadCount() string { return k.base + "dc" }

// deadOf names the sorted set of a tenant's dead task IDs ("-": public).
func (k keys) deadOf(tenant string) string { return k.base + "dt:" + tenant }
