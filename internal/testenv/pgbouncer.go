package testenv

import (
	"os"
	"testing"
)

// PgBouncerURLEnv is the environment variable that names a PgBouncer in
// transaction pool mode in front of the PostgreSQL server of DatabaseURL.
// scripts/test.sh sets it after scripts/services.sh has started one.
const PgBouncerURLEnv = "TENANTGEN_TEST_PGBOUNCER_URL"

// PgBouncerURL returns the URL of the PgBouncer that tests may use, named by
// TENANTGEN_TEST_PGBOUNCER_URL, in transaction pool mode in front of the
// server of DatabaseURL (objects made through one are seen through the
// other). It fails the test if that PgBouncer does not answer.
//
// Unlike DatabaseURL it has no default: a PgBouncer found on a shared port
// may pool in session mode, which tests nothing. When the variable is unset
// the test is skipped, saying how to run it: scripts/test.sh always starts
// one (installing pgbouncer if it must) unless TENANTGEN_SKIP_PGBOUNCER=1.
func PgBouncerURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(PgBouncerURLEnv)
	if url == "" {
		t.Skipf("testenv: %s is unset, so this PgBouncer test does not run: run ./scripts/test.sh, which starts PgBouncer in transaction pool mode, or eval \"$(scripts/services.sh)\" before go test", PgBouncerURLEnv)
	}
	if err := reachable("pgbouncer", url, probeTimeout, pingPostgres); err != nil {
		t.Fatalf("pgbouncer not reachable at %q: %v: run ./scripts/test.sh, which starts it, or fix %s", url, err, PgBouncerURLEnv)
	}
	return url
}
