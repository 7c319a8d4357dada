#!/usr/bin/env bash
# run.sh: run tenantgen side by side with asynq and river, print the table
# and write docs/benchmarks.md and docs/benchmarks.svg.
#
#   bench/run.sh             quick mode, about a minute on a quiet machine (after the first run,
#                            which also creates 10,000 tenant schemas once)
#   bench/run.sh --full      full mode: 50,000 tasks per phase, 5 runs
#   bench/run.sh --profile   also write a CPU profile of every worker to
#                            bench/out/pprof (go tool pprof bench/out/tgbench FILE)
#   bench/run.sh --no-report print the table only; leave docs/ alone
#
# Other arguments go to `tgbench run` (bench/out/tgbench run -h lists them),
# e.g. --arms tenantgen,asynq or --workloads noop. The workloads are noop,
# tenant, fanout, fairness and txenqueue (all by default); bench/README.md
# says what each measures. `bench/run.sh --workloads fairness --runs 1` is a quick
# run of the fairness workload alone.
#
# PostgreSQL and Redis come from scripts/services.sh, as for the tests; the
# benchmark uses its own database (tenantgen_bench) and Redis database 13.
set -euo pipefail

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$bench_dir/.." && pwd)"

args=()
report=1
for a in "$@"; do
	case $a in
	--full) args+=(-full) ;;
	--profile) args+=(-profile "$bench_dir/out/pprof") ;;
	--no-report) report=0 ;;
	*) args+=("$a") ;;
	esac
done

# shellcheck source=../scripts/services.sh
source "$root/scripts/services.sh"
tenantgen_ensure_go

cd "$bench_dir"
mkdir -p out
go build -o out/tgbench ./cmd/tgbench
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || true)"
if [[ -n $commit ]] && ! git -C "$root" diff --quiet HEAD -- runtime bench 2>/dev/null; then
	commit="$commit+changes"
fi
out="$root/docs"
if ((report == 0)); then out=""; fi
exec_args=(run -commit "$commit" -out "$out" -results out/results.json -notes NOTES.md)
out/tgbench "${exec_args[@]}" "${args[@]}"
