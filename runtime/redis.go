package runtime

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// The timeouts of the Redis client that Open builds from Config.RedisURL,
// for each setting the URL does not give (dial_timeout, read_timeout,
// write_timeout, max_retries). They bound how long a command waits for a
// Redis server that accepts connections but does not answer (stopped,
// swapping, or behind a dead network path): each attempt may wait for a new
// connection's handshake and then for the reply, one read timeout each, so
// a command with no ctx deadline fails within about
//
//	(1 + redisMaxRetries) × 2 × redisReadTimeout + retry backoff ≈ 13 s.
//
// A ctx deadline bounds it sooner: the client honours it
// (ContextTimeoutEnabled), so an Enqueue with a 500 ms deadline fails after
// about 500 ms.
const (
	redisDialTimeout  = 2 * time.Second
	redisReadTimeout  = 3 * time.Second
	redisWriteTimeout = 3 * time.Second

	// redisMaxRetries is go-redis' retry count. Its default, 3, would
	// double the bound above; and every retry of a timed-out enqueue sends
	// the tasks again, which a server that was only slow runs twice. One
	// retry still rides out a connection that Redis closed (a restart).
	redisMaxRetries = 1
)

// redisOptions returns the options of the App's own Redis client: those of
// cfg.RedisURL, with the timeouts above where the URL sets none, a pool of
// at least Concurrency+8 connections (every worker slot, and its loops),
// and context deadlines honoured.
func redisOptions(cfg Config) *redis.Options {
	opts, _ := redis.ParseURL(cfg.RedisURL) // checked by validate
	opts.PoolSize = max(opts.PoolSize, cfg.Concurrency+8)
	// Without it, go-redis ignores ctx deadlines for socket reads and
	// writes, and an Enqueue with a 500 ms deadline waited the full read
	// timeout.
	opts.ContextTimeoutEnabled = true
	if opts.DialTimeout == 0 {
		opts.DialTimeout = redisDialTimeout
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = redisReadTimeout
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = redisWriteTimeout
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = redisMaxRetries
	}
	return opts
}

// newRedisClient returns the App's own Redis client for cfg.RedisURL.
func newRedisClient(cfg Config) *redis.Client {
	return redis.NewClient(redisOptions(cfg))
}
