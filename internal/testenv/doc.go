// Package testenv gives tests real PostgreSQL and Redis servers to talk to.
//
// The servers are found through the TENANTGEN_DATABASE_URL and
// TENANTGEN_REDIS_URL environment variables, which scripts/test.sh sets after
// it has found or started the servers (see scripts/services.sh). When a
// variable is unset, the loopback defaults DefaultDatabaseURL and
// DefaultRedisURL are used. A test that asks for a server which does not
// answer fails at once with a message that says how to start it; it is never
// skipped, so a missing server cannot hide a broken test. RedisCluster is
// the exception: it starts a private Redis Cluster from the redis-server
// binary, and skips the test when the binary is not installed. PgBouncerURL
// is the other: it names a PgBouncer in transaction pool mode, which only
// scripts/services.sh starts, and skips the test when none is named.
//
// Each server is probed at most once per test binary and URL, with a short,
// bounded deadline, so that many tests asking for the same server cost one
// round trip.
//
// WaitFor and Eventually are the one way tests poll for a condition, with
// one deadline, Timeout, generous enough for a loaded machine under -race.
// Tests assert on causes (a counter, a state, a log line) rather than on
// how long something took, which only a hang may bound.
//
// It is for tests only: no non-test code may import it.
package testenv
