package queue

import (
	"strings"
	"testing"

	"github.com/tenantgen/tenantgen/internal/names"
)

// crc16 is the CRC-16/XMODEM checksum that Redis Cluster hashes keys with
// (polynomial 0x1021, initial value 0).
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// clusterSlot returns the Redis Cluster hash slot of key, as the cluster
// specification defines it: if key has a "{" followed later by a "}" with
// at least one byte between them, only the bytes between the first "{" and
// the first "}" after it are hashed; otherwise the whole key is.
func clusterSlot(key string) int {
	if open := strings.IndexByte(key, '{'); open >= 0 {
		if n := strings.IndexByte(key[open+1:], '}'); n > 0 {
			key = key[open+1 : open+1+n]
		}
	}
	return int(crc16(key) % 16384)
}

func TestClusterSlot(t *testing.T) {
	t.Parallel()
	if got := crc16("123456789"); got != 0x31C3 {
		t.Errorf("crc16(%q) = %#x, want 0x31c3 (the specification's check value)", "123456789", got)
	}
	// The examples of the Redis Cluster specification and of CLUSTER
	// KEYSLOT's documentation.
	for _, tc := range []struct {
		key    string
		hashed string // the part of key that is hashed
		slot   int    // if not -1
	}{
		{"somekey", "somekey", 11058},
		{"foo{hash_tag}", "hash_tag", 2515},
		{"foo", "foo", 12182},
		{"{user1000}.following", "user1000", -1},
		{"{user1000}.followers", "user1000", -1},
		{"foo{}{bar}", "foo{}{bar}", -1}, // an empty tag: the whole key
		{"foo{{bar}}zap", "{bar", -1},
		{"foo{bar}{zap}", "bar", -1},
		{"no}tag{", "no}tag{", -1},
	} {
		t.Run(tc.key, func(t *testing.T) {
			got := clusterSlot(tc.key)
			if want := int(crc16(tc.hashed) % 16384); got != want {
				t.Errorf("clusterSlot(%q) = %d, want %d, the slot of %q", tc.key, got, want, tc.hashed)
			}
			if tc.slot >= 0 && got != tc.slot {
				t.Errorf("clusterSlot(%q) = %d, want %d", tc.key, got, tc.slot)
			}
		})
	}
}

// TestQueueKeysShareOneSlot: every key of a queue, unique locks included,
// lies in the slot of its hash tag {queue}, so that a queue lives on one
// Redis Cluster node and its scripts and pipelines may touch all its keys.
func TestQueueKeysShareOneSlot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ prefix, queue string }{
		{"tg", "default"},
		{"tg", "billing"},
		{"app-1.staging", "mail"},
		{"x", "q.with-dots_and-dashes"},
		{"tg", "0"},
		{"tg", strings.Repeat("z", names.MaxQueue)},
	} {
		t.Run(tc.prefix+"/"+tc.queue, func(t *testing.T) {
			if err := names.CheckQueue(tc.queue); err != nil {
				t.Fatalf("test queue name: %v", err)
			}
			k := queueKeys(tc.prefix, tc.queue, 0)
			want := int(crc16(tc.queue) % 16384)
			for _, key := range []string{
				k.stream, k.delayed, k.dead, k.deadSet, k.ring, k.wake, k.limits, k.paused, k.pausedT, k.held,
				k.lane("acme"), k.lane("-"), k.lane("acme:billing.Charge"), k.base + "rt:acme", k.base + "run", k.base + "full", k.base + "wait", k.base + "cr",
				k.uniqueLock("billing.Charge", "acme", []byte(`["cus_1",1250]`)),
				k.uniqueLock("ops.Refresh", "", []byte(`{}`)),
			} {
				if !strings.Contains(key, "{"+tc.queue+"}") {
					t.Errorf("key %q lacks the hash tag {%s}", key, tc.queue)
				}
				if got := clusterSlot(key); got != want {
					t.Errorf("key %q is in slot %d, want %d, the slot of queue %q", key, got, want, tc.queue)
				}
			}
		})
	}
}
