package queue

import (
	"crypto/sha256"
	"encoding/hex"
)

// keys names the Redis keys of one queue. Every key of a queue carries the
// hash tag {queue}, so that a queue lives in one Redis Cluster slot and its
// scripts, which receive all their keys through KEYS, stay cluster-safe.
// docs/queue.md describes each key.
type keys struct {
	stream  string // STREAM of ready tasks, read by the consumer group
	delayed string // ZSET of delayed tasks and retries, scored by due time (ms)
	dead    string // ZSET of dead task IDs, scored by death time (ms)
	deadSet string // HASH of dead task ID to its record
	unique  string // prefix of the unique locks: STRING per task+tenant+args hash
}

func queueKeys(prefix, queue string) keys {
	base := prefix + ":{" + queue + "}:"
	return keys{
		stream:  base + "s",
		delayed: base + "z",
		dead:    base + "d",
		deadSet: base + "dh",
		unique:  base + "u:",
	}
}

// uniqueLock names the lock of a unique task: 128 bits of SHA-256 over its
// name, tenant and encoded arguments, under the queue's hash tag.
func (k keys) uniqueLock(name, tenant string, args []byte) string {
	sum := sha256.Sum256([]byte(name + "\x00" + tenant + "\x00" + string(args)))
	return k.unique + hex.EncodeToString(sum[:16])
}

// keyLock names the lock of a unique task with a Request.UniqueKey.
func (k keys) keyLock(key string) string {
	sum := sha256.Sum256([]byte(key))
	return k.unique + "k:" + hex.EncodeToString(sum[:16])
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
)
