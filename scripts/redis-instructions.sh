#!/usr/bin/env bash
# redis-instructions.sh: count the instructions that Redis runs for a
# benchmark, per task, under valgrind's callgrind.
#
# Usage, from anywhere in the repository:
#
#     scripts/redis-instructions.sh [-out FILE] PACKAGE BENCHMARK N
#
# for example
#
#     scripts/redis-instructions.sh ./internal/queue 'FetchLimits/concurrency' 5000
#
# It builds PACKAGE's test binary, runs BENCHMARK once for N iterations
# with a redis-server on PATH that starts the installed one under
# callgrind, and prints the instructions that server ran divided by N. Only
# benchmarks that start a Redis of their own (testenv.PrivateRedis, such as
# BenchmarkFetchLimits) are measured; the count covers the whole run, setup
# included, so compare two runs of the same benchmark and N.
#
# Why: on a shared machine the CPU time of a benchmark varies by a third
# from run to run, while instruction counts repeat to within half a percent,
# whatever else the machine does. Redis under callgrind runs about 50 times
# slower, so keep N in the thousands. With -out, the callgrind profile is
# kept for callgrind_annotate (functions of redis-server are named where
# the binary exports them; those of its Lua are not).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

out=""
if [[ "${1:-}" == "-out" ]]; then
	out=$2
	shift 2
fi
if [[ $# -ne 3 ]]; then
	echo "usage: scripts/redis-instructions.sh [-out FILE] PACKAGE BENCHMARK N" >&2
	exit 2
fi
pkg=$1 bench=$2 n=$3

for tool in valgrind redis-server; do
	if ! command -v "$tool" >/dev/null; then
		echo "redis-instructions.sh: $tool is not installed (Debian/Ubuntu: apt-get install valgrind redis-server)" >&2
		exit 1
	fi
done
server=$(command -v redis-server)

dir=$(mktemp -d)
trap 'pkill -TERM -f "callgrind-out-file=$dir/" 2>/dev/null || true; rm -rf "$dir"' EXIT

go test -c -o "$dir/bench.test" "$pkg"

# The benchmark kills its redis-server (the wrapper) with SIGKILL, which
# callgrind cannot survive to write its profile: the wrapper runs it as a
# child, left running when the wrapper dies, and stopped below with SIGTERM,
# on which Redis exits cleanly and callgrind writes the profile.
mkdir "$dir/bin"
cat >"$dir/bin/redis-server" <<EOF
#!/usr/bin/env bash
valgrind --tool=callgrind --callgrind-out-file=$dir/callgrind.out "$server" "\$@" >/dev/null 2>&1 &
wait
EOF
chmod +x "$dir/bin/redis-server"

PATH="$dir/bin:$PATH" "$dir/bench.test" -test.run '^$' -test.bench "$bench" -test.benchtime "${n}x" >"$dir/bench.log" 2>&1 || {
	cat "$dir/bench.log" >&2
	exit 1
}
grep '^Benchmark' "$dir/bench.log" >&2 || {
	echo "redis-instructions.sh: no benchmark matched $bench" >&2
	exit 1
}
pkill -TERM -f "callgrind-out-file=$dir/" || true
for _ in $(seq 150); do
	pgrep -f "callgrind-out-file=$dir/" >/dev/null || break
	sleep 0.2
done
if [[ ! -s "$dir/callgrind.out" ]]; then
	echo "redis-instructions.sh: no profile: did $bench start a Redis of its own (testenv.PrivateRedis)?" >&2
	exit 1
fi
total=$(awk '/^(summary|totals):/ {print $2; exit}' "$dir/callgrind.out")
echo "$bench: $((total / n)) Redis instructions per task"
if [[ -n "$out" ]]; then
	cp "$dir/callgrind.out" "$out"
fi
