#!/usr/bin/env bash
# test.sh: run tenantgen's whole test suite, as CI does (.ci/run calls it).
#
# Usage, from anywhere in the repository:
#
#     scripts/test.sh [go test flags...]
#
# e.g. `scripts/test.sh -run TestEnqueue -v`. The flags are passed to
# `go test` before the ./... package pattern.
#
# It finds or starts PostgreSQL and Redis, and a PgBouncer in transaction
# pool mode in front of that PostgreSQL for the PgBouncer tests
# (scripts/services.sh, which also documents the TENANTGEN_* environment
# knobs, TENANTGEN_SKIP_PGBOUNCER among them), makes sure Go is available,
# finds or installs Chromium for the dashboard's browser tests
# (tenantgen_chromium; without one they skip, saying so), and then runs these steps from the repository root, stopping at the first
# one that fails:
#   1. go generate ./..., which generate.go extends to bench/ (a module of
#      its own), failing if that changed or created any file that git would
#      see (the generated files committed are stale);
#   2. go vet ./...;
#   3. staticcheck ./..., the version go.mod pins as a tool (go tool
#      staticcheck: built from the module cache, no network needed);
#   4. in bench/, which has no tests: go build ./..., go vet ./... and the
#      same staticcheck;
#   5. go test -race -count=1 -parallel 8 ./... (the tests mostly wait on
#      Redis, PostgreSQL and their own workers, so eight parallel tests per
#      package finish sooner than one per core; a later -parallel wins)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/services.sh
source scripts/services.sh
tenantgen_pgbouncer_up
tenantgen_ensure_go
tenantgen_chromium

step() { printf '==> %s\n' "$*"; }

# worktree_tree: print the hash of a git tree holding every file of the work
# tree that git does not ignore, tracked or not, as it is now on disk. It uses
# a scratch index, so the real index and the work tree are left alone.
worktree_tree() {
	local index
	index="$(mktemp)"
	rm -f "$index"
	GIT_INDEX_FILE=$index git add --all . &&
		GIT_INDEX_FILE=$index git write-tree
	rm -f "$index"
}

# generate: regenerate every generated file of both modules (generate.go
# reaches into bench/).
generate() {
	go generate ./...
}

step "go generate ./..."
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	before="$(worktree_tree)"
	generate
	after="$(worktree_tree)"
	if [[ $before != "$after" ]]; then
		git --no-pager diff --stat "$before" "$after"
		git --no-pager diff "$before" "$after"
		echo "generated files are stale: run go generate ./... and commit" >&2
		exit 1
	fi
else
	generate
	echo "(not in a git work tree: skipped the check for stale generated files)"
fi

step "go vet ./..."
go vet ./...

step "go tool staticcheck ./..."
go tool staticcheck ./...

# bench/ has its own go.mod, without the tool: run the root module's
# staticcheck binary there (go tool -n prints its path, building it if
# needed).
step "bench/: go build ./... && go vet ./... && staticcheck ./..."
staticcheck="$(go tool -n staticcheck)"
(cd bench && go build ./... && go vet ./... && "$staticcheck" ./...)

step "go test -race -count=1 -parallel 8${*:+ $*} ./..."
go test -race -count=1 -parallel 8 "$@" ./...
