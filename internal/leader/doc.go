// Package leader holds a lease in Redis with a fencing token, so that one
// of several processes at a time leads and a deposed leader cannot write
// over its successor.
//
// It owns the lease's keys (the holder's token and the epoch counter that
// numbers the tokens) and the Lua scripts that take, renew and release the
// lease and write under it. It knows nothing of what the leader does with
// the lease: callers name the keys, and the hash a fenced write sets. It
// must not import the runtime package or other internal packages, and
// returns Redis's errors for the caller to wrap in its own words.
package leader
