package testenv_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
)

func TestRedisRoundTrip(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	client := testenv.Redis(t)
	key := testenv.UniqueKey(t, "greeting")
	t.Cleanup(func() {
		if err := client.Del(context.Background(), key).Err(); err != nil {
			t.Errorf("del %s: %v", key, err)
		}
	})

	if err := client.Set(ctx, key, "hello", time.Minute).Err(); err != nil {
		t.Fatalf("set %s: %v", key, err)
	}
	got, err := client.Get(ctx, key).Result()
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	if got != "hello" {
		t.Errorf("get %s = %q, want %q", key, got, "hello")
	}

	if err := client.Del(ctx, key).Err(); err != nil {
		t.Fatalf("del %s: %v", key, err)
	}
	if err := client.Get(ctx, key).Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("get %s after del: err = %v, want redis.Nil", key, err)
	}
}

func TestUniqueKeyDiffers(t *testing.T) {
	t.Parallel()
	a, b := testenv.UniqueKey(t, "k"), testenv.UniqueKey(t, "k")
	if a == b {
		t.Errorf("UniqueKey returned %q twice", a)
	}
	if strings.ContainsAny(a, " /") {
		t.Errorf("UniqueKey returned %q, which contains a space or slash", a)
	}
}

func TestPostgresQuery(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	pool := testenv.Postgres(t)

	var one int
	if err := pool.QueryRow(ctx, "select 1").Scan(&one); err != nil {
		t.Fatalf("select 1: %v", err)
	}
	if one != 1 {
		t.Errorf("select 1 = %d, want 1", one)
	}

	var version string
	if err := pool.QueryRow(ctx, "show server_version").Scan(&version); err != nil {
		t.Fatalf("show server_version: %v", err)
	}
	if version == "" {
		t.Error("show server_version returned an empty string")
	}
	t.Logf("server_version = %s", version)
}
