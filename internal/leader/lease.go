package leader

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config names a lease and its holder.
type Config struct {
	// Key holds the token of the current holder while the lease lasts.
	Key string

	// EpochKey counts the leases ever taken; the count is the token's
	// fencing number. It must be in Key's hash slot (share its {tag}), as
	// must every hash written with Lease.HSet.
	EpochKey string

	// Holder names this holder; a token is Holder/epoch.
	Holder string

	// TTL is how long the lease lasts without renewal.
	TTL time.Duration
}

// Lease is one holder's view of a lease. It is not safe for concurrent
// use: its caller serializes the calls.
type Lease struct {
	rdb     redis.Scripter
	cfg     Config
	token   string    // while this holder leads
	renewed time.Time // when the lease was last taken or renewed
}

// New returns the lease of cfg, not yet taken.
func New(rdb redis.Scripter, cfg Config) *Lease {
	return &Lease{rdb: rdb, cfg: cfg}
}

// acquireScript takes the lease or renews it.
//
// KEYS: leader, epoch. ARGV: holder, TTL ms, current token ("" if none).
// It returns the token (holder/epoch), or false if another holds the lease.
var acquireScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur then
	if cur == ARGV[3] then
		redis.call('PEXPIRE', KEYS[1], ARGV[2])
		return cur
	end
	return false
end
local token = ARGV[1] .. '/' .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
return token
`)

// fencedScript sets fields of a hash if the caller still holds the lease.
//
// KEYS: leader, hash. ARGV: token, then field and value pairs. It returns
// 1, or 0 if the lease is another's.
var fencedScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
	return 0
end
for i = 2, #ARGV, 2 do
	redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
return 1
`)

// releaseScript deletes the lease if the caller holds it.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// Acquire takes the lease or renews it, and returns its token, or "" if
// another holder has it. On an error the lease is as it was.
func (l *Lease) Acquire(ctx context.Context) (string, error) {
	v, err := acquireScript.Run(ctx, l.rdb, []string{l.cfg.Key, l.cfg.EpochKey}, l.cfg.Holder, l.cfg.TTL.Milliseconds(), l.token).Text()
	switch {
	case errors.Is(err, redis.Nil):
		l.token = ""
		return "", nil
	case err != nil:
		return l.token, err
	}
	l.token, l.renewed = v, time.Now()
	return v, nil
}

// Keep renews the lease if a third of its TTL has passed since it was
// taken or renewed, and returns its token, or "" if the lease is lost.
// Between renewals it costs no round trip.
func (l *Lease) Keep(ctx context.Context) (string, error) {
	if time.Since(l.renewed) > l.cfg.TTL/3 {
		return l.Acquire(ctx)
	}
	return l.token, nil
}

// Token returns the token of the lease as last taken, renewed or written
// under, or "" if this holder does not lead.
func (l *Lease) Token() string { return l.token }

// HSet sets pairs (field, value, field, value...) of the hash at key if
// this holder still leads, in one step, and reports whether it did. When
// another holder has the lease it forgets its token and reports false.
func (l *Lease) HSet(ctx context.Context, key string, pairs []any) (bool, error) {
	n, err := fencedScript.Run(ctx, l.rdb, []string{l.cfg.Key, key}, append([]any{l.token}, pairs...)...).Int()
	switch {
	case err != nil:
		return false, err
	case n == 0:
		l.token = ""
		return false, nil
	}
	return true, nil
}

// Release gives the lease up, if this holder has it, so that another
// takes over at once. The holder forgets its token even if Redis could not
// be told: the lease then expires after its TTL.
func (l *Lease) Release(ctx context.Context) error {
	if l.token == "" {
		return nil
	}
	token := l.token
	l.token = ""
	return releaseScript.Run(ctx, l.rdb, []string{l.cfg.Key}, token).Err()
}
