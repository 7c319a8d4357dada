#!/usr/bin/env bash
# demo.sh: run tenantgen's example end to end.
#
# Usage, from anywhere in the repository:
#
#     scripts/demo.sh
#
# It finds or starts PostgreSQL and Redis (scripts/services.sh, which also
# documents the TENANTGEN_* environment knobs) and makes sure Go is
# available. For now the example app does not exist yet, so run_demo only
# regenerates, vets and builds whatever is under example/ and lists the
# generated tenant_tasks.gen.go files; replace run_demo's body with the real
# demo when the example lands.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/services.sh
source scripts/services.sh
tenantgen_ensure_go

step() { printf '==> %s\n' "$*"; }

# run_demo: the demo itself. TENANTGEN_DATABASE_URL and TENANTGEN_REDIS_URL
# name the servers to use; private servers are stopped when this script exits.
run_demo() {
	if [[ -z "$(find example -name '*.go' -type f -print -quit 2>/dev/null)" ]]; then
		echo "example/ has no Go packages yet: nothing to demo"
		return 0
	fi

	step "go generate ./example/..."
	go generate ./example/...

	step "go vet ./example/..."
	go vet ./example/...

	step "go build ./example/..."
	go build ./example/...

	step "generated files"
	local found
	found="$(find example -name tenant_tasks.gen.go -type f | sort)"
	if [[ -z $found ]]; then
		echo "(no tenant_tasks.gen.go under example/)"
	else
		printf '%s\n' "$found"
	fi
}

run_demo
