#!/usr/bin/env bash
# demo.sh: run tenantgen's example end to end.
#
# Usage, from anywhere in the repository:
#
#     scripts/demo.sh [-keep] [-timeout 60s]
#
# It finds or starts PostgreSQL and Redis (scripts/services.sh, which also
# documents the TENANTGEN_* environment knobs), makes sure Go is available,
# regenerates the example's tasks, builds example/cmd/worker and
# example/cmd/web, and runs the demo driver (example/cmd/demo): it
# provisions the tenants acme, globex and initech in a fresh namespace,
# starts a worker and the web server, enqueues a mix of tasks across the
# tenants through HTTP, waits for them, prints a table per tenant and
# checks it. It exits 0 only if every check holds.
#
# Cleanup: the driver stops its processes and drops its schemas and Redis
# keys (tgdemo_<random>) when it ends; with -keep it leaves them and prints
# the command that drops them, and keeps a worker and the web server
# running with the dashboard (docs/dashboard.md) until Ctrl-C. Private
# servers started by services.sh are stopped when this script exits.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/services.sh
source scripts/services.sh
tenantgen_ensure_go

step() { printf '==> %s\n' "$*"; }

# run_demo: the demo itself. TENANTGEN_DATABASE_URL and TENANTGEN_REDIS_URL
# name the servers to use; private servers are stopped when this script exits.
run_demo() {
	local dir status=0
	dir="$(mktemp -d "${TMPDIR:-/tmp}/tenantgen-demo-bin.XXXXXX")"

	step "go generate ./example/... (annotated tasks -> tenant_tasks.gen.go)"
	go generate ./example/...

	step "go build example/cmd/worker, example/cmd/web and example/cmd/demo"
	go build -o "$dir/" ./example/cmd/worker ./example/cmd/web ./example/cmd/demo

	"$dir/demo" -worker "$dir/worker" -web "$dir/web" "$@" || status=$?
	rm -rf "$dir"
	return "$status"
}

run_demo "$@"
