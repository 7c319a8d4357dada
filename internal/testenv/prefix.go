package testenv

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// KeyPrefix returns a fresh Redis key prefix, name followed by a dash and
// random letters, so that tests sharing one Redis never meet each other's
// keys; the keys under it are deleted from rdb when t ends.
func KeyPrefix(t testing.TB, rdb *redis.Client, name string) string {
	t.Helper()
	prefix := NewKeyPrefix(name)
	t.Cleanup(func() { DeleteKeys(rdb, prefix) })
	return prefix
}

// NewKeyPrefix returns a fresh key prefix as KeyPrefix does, for callers
// that delete its keys themselves (DeleteKeys).
func NewKeyPrefix(name string) string {
	return name + "-" + strings.ToLower(rand.Text()[:10])
}

// DeleteKeys deletes rdb's keys under prefix ("<prefix>:*").
func DeleteKeys(rdb *redis.Client, prefix string) {
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
}
