package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

const (
	// RedisURLEnv is the environment variable that names the Redis server.
	RedisURLEnv = "TENANTGEN_REDIS_URL"
	// DatabaseURLEnv is the environment variable that names the PostgreSQL server.
	DatabaseURLEnv = "TENANTGEN_DATABASE_URL"

	// DefaultRedisURL is the Redis server used when RedisURLEnv is unset.
	DefaultRedisURL = "redis://127.0.0.1:6379/0"
	// DefaultDatabaseURL is the PostgreSQL server used when DatabaseURLEnv is unset.
	DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

	// probeTimeout bounds how long a server may take to answer its first probe.
	probeTimeout = 5 * time.Second
)

// probe remembers the outcome of checking one server URL.
type probe struct {
	once sync.Once
	err  error
}

var (
	probesMu sync.Mutex
	probes   = map[string]*probe{}
)

// reachable reports whether check succeeds for url, running check (retried
// until timeout) only the first time a URL of that kind is asked for in this
// process; later calls return the first call's result.
func reachable(kind, url string, timeout time.Duration, check func(ctx context.Context, url string) error) error {
	probesMu.Lock()
	p, ok := probes[kind+" "+url]
	if !ok {
		p = &probe{}
		probes[kind+" "+url] = p
	}
	probesMu.Unlock()

	p.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		p.err = poll(ctx, func() error { return check(ctx, url) })
	})
	return p.err
}

// envOr returns the value of the environment variable key, or def when it is
// unset or empty.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// RedisURL returns the URL of the Redis server tests may use: the value of
// TENANTGEN_REDIS_URL, or DefaultRedisURL when it is unset. It fails the test
// if the server does not answer PING within a few seconds.
func RedisURL(t testing.TB) string {
	t.Helper()
	url := envOr(RedisURLEnv, DefaultRedisURL)
	if err := reachable("redis", url, probeTimeout, pingRedis); err != nil {
		t.Fatalf("redis not reachable at %q: %v: run ./scripts/test.sh, which starts it, or set %s", url, err, RedisURLEnv)
	}
	return url
}

// DatabaseURL returns the URL of the PostgreSQL server tests may use: the
// value of TENANTGEN_DATABASE_URL, or DefaultDatabaseURL when it is unset. It
// fails the test if the server does not answer a query within a few seconds.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	url := envOr(DatabaseURLEnv, DefaultDatabaseURL)
	if err := reachable("postgres", url, probeTimeout, pingPostgres); err != nil {
		t.Fatalf("postgres not reachable at %q: %v: run ./scripts/test.sh, which starts it, or set %s", url, err, DatabaseURLEnv)
	}
	return url
}

// Redis returns a client of the Redis server named by RedisURL, closed when
// the test ends. The test may use any key it makes with UniqueKey; other
// tests, possibly in other processes, share the same database, so a test
// must not use fixed key names or flush the database.
func Redis(t testing.TB) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(RedisURL(t))
	if err != nil {
		t.Fatalf("parse redis url: %v", err)
	}
	client := redis.NewClient(opts)
	t.Cleanup(func() {
		if err := client.Close(); err != nil {
			t.Errorf("close redis client: %v", err)
		}
	})
	return client
}

// Postgres returns a connection pool to the PostgreSQL server named by
// DatabaseURL, closed when the test ends. Tests share the database, so a
// test must create only objects whose names it made unique.
func Postgres(t testing.TB) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	pool, err := pgxpool.New(ctx, DatabaseURL(t))
	if err != nil {
		t.Fatalf("open postgres pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// UniqueKey returns a Redis key that no other test, in this process or in
// another, will use: it joins a fixed prefix, the test's name, a random
// token and name.
func UniqueKey(t testing.TB, name string) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("read random bytes: %v", err)
	}
	testName := strings.NewReplacer(" ", "_", "/", ".").Replace(t.Name())
	return fmt.Sprintf("tenantgen:test:%s:%s:%s", testName, hex.EncodeToString(b[:]), name)
}

// pingRedis checks that the Redis server at url answers PING.
func pingRedis(ctx context.Context, url string) error {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	// poll does the retrying, so each attempt dials just once.
	opts.MaxRetries = -1
	opts.DialerRetries = 1
	opts.DialTimeout = time.Second
	client := redis.NewClient(opts)
	defer client.Close()
	return client.Ping(ctx).Err()
}

// pingPostgres checks that the PostgreSQL server at url answers a query.
func pingPostgres(ctx context.Context, url string) error {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	var one int
	// The simple protocol prepares nothing: through a transaction pooler,
	// a statement pgx prepared by name may already exist on the server
	// connection from an earlier client (SQLSTATE 42P05).
	if err := pool.QueryRow(ctx, "select 1", pgx.QueryExecModeSimpleProtocol).Scan(&one); err != nil {
		return err
	}
	if one != 1 {
		return errors.New("select 1 did not return 1")
	}
	return nil
}
