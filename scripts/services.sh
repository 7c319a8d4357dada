#!/usr/bin/env bash
# services.sh: find or start the PostgreSQL and Redis servers that tenantgen's
# tests and demo talk to, and make sure a Go toolchain is available.
#
# Usage, from a bash script (this is how scripts/test.sh and scripts/demo.sh
# use it):
#
#     source scripts/services.sh     # finds/starts both servers, exports URLs
#     tenantgen_ensure_go            # puts a new enough `go` on PATH
#     tenantgen_pgbouncer_up         # optional: PgBouncer in front of PostgreSQL
#     tenantgen_chromium             # optional: a headless browser (see below)
#
# Sourcing it turns on `set -euo pipefail` in the caller, exports
# TENANTGEN_REDIS_URL and TENANTGEN_DATABASE_URL, and, if it had to start
# private servers, installs an EXIT trap (chained after any existing one) that
# stops them and removes their temporary directory when the calling script
# exits. Do not source it from an interactive shell: on failure it exits.
#
# Interactive use: run it instead of sourcing it. It then keeps any private
# servers running and prints the export lines (and how to stop them later):
#
#     eval "$(scripts/services.sh)"
#
# Run that way it also starts PgBouncer (below), so that a `go test` by hand
# runs the PgBouncer tests too.
#
# For each server it uses, in this order:
#   a. a server that already answers: $TENANTGEN_REDIS_URL or
#      $TENANTGEN_DATABASE_URL if set, else redis://127.0.0.1:6379/0 and
#      postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable;
#   b. a private server started from the installed binaries (redis-server;
#      /usr/lib/postgresql/*/bin/initdb and pg_ctl), on a free loopback port,
#      with its data in a temporary directory;
#   c. if the binaries are missing, it installs them with apt-get (with sudo
#      when not root) and then does b;
#   d. else it says what is missing and how to install it, and exits non-zero.
# It prints one line per server on stderr saying which it used.
#
# PgBouncer (tenantgen_pgbouncer_up, which scripts/test.sh calls; the demo
# does not need it): the tests run the tenancy suite through a PgBouncer in
# transaction pool mode, the mode that breaks what a session-bound client
# assumes. It uses $TENANTGEN_TEST_PGBOUNCER_URL if that answers, else starts
# a private pgbouncer (found on PATH or in /usr/sbin, else installed with
# apt-get, package pgbouncer) on a free loopback port in front of the
# PostgreSQL server found above, and exports TENANTGEN_TEST_PGBOUNCER_URL.
# It never probes a shared port such as 6432: a PgBouncer found there may be
# in session mode, which tests nothing.
#
# Environment knobs:
#   TENANTGEN_REDIS_URL, TENANTGEN_DATABASE_URL
#       servers to use if they answer (step a).
#   TENANTGEN_SKIP_LOOPBACK=1
#       skip step a entirely: always start private servers. Useful to test
#       the private-server path, or in CI to debug a test that passes only
#       against the machine's long-running servers.
#   TENANTGEN_KEEP_SERVICES=1
#       leave private servers running when the calling script exits.
#   TENANTGEN_NO_INSTALL=1
#       never run apt-get (skip steps c and the Go install); fail instead.
#   TENANTGEN_TEST_PGBOUNCER_URL
#       a PgBouncer in transaction pool mode to use if it answers.
#   TENANTGEN_SKIP_PGBOUNCER=1
#       start no PgBouncer: the PgBouncer tests are skipped, saying so. For a
#       machine that cannot install it; CI must not set it.
#   TENANTGEN_CHROMIUM
#       the Chromium (or Chrome) binary of the dashboard's browser tests;
#       tenantgen_chromium finds or installs one and exports it.
set -euo pipefail

# _tg_root is the repository root: the parent of this file's directory.
_tg_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The state below survives sourcing this file twice in one shell.
_tg_tmpdir=${_tg_tmpdir:-}               # temporary directory of private servers
_tg_redis_pidfile=${_tg_redis_pidfile:-} # pid file of a private redis-server
_tg_pg_bindir=${_tg_pg_bindir:-}         # bin directory of PostgreSQL for a private server
_tg_pg_data=${_tg_pg_data:-}             # data directory of a private PostgreSQL
_tg_apt_updated=${_tg_apt_updated:-}     # set once apt-get update has run
_tg_pgb_pidfile=${_tg_pgb_pidfile:-}     # pid file of a private pgbouncer

_tg_log() { printf '%s\n' "$*" >&2; }

_tg_die() {
	printf 'services.sh: %s\n' "$*" >&2
	exit 1
}

# _tg_poll SECONDS CMD...: run CMD every 0.1s until it succeeds (return 0) or
# SECONDS have passed (return 1).
_tg_poll() {
	local limit=$1 deadline
	shift
	deadline=$((SECONDS + limit))
	until "$@"; do
		if ((SECONDS >= deadline)); then
			return 1
		fi
		sleep 0.1
	done
}

# _tg_pid_gone PID: true if no process PID exists.
_tg_pid_gone() {
	! kill -0 "$1" 2>/dev/null
}

# _tg_port_free PORT: true if nothing listens on 127.0.0.1:PORT.
_tg_port_free() {
	# shellcheck disable=SC2016 # $0 is for the inner bash
	! timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$1" 2>/dev/null
}

# _tg_free_port: print a loopback port nothing listens on.
_tg_free_port() {
	local port i
	for ((i = 0; i < 100; i++)); do
		port=$((20000 + RANDOM % 30000))
		if _tg_port_free "$port"; then
			printf '%s\n' "$port"
			return 0
		fi
	done
	_tg_die "found no free TCP port on 127.0.0.1"
}

# _tg_mktemp: create the temporary directory for private servers (once) and
# arrange for it and the servers in it to be cleaned up on exit.
_tg_mktemp() {
	if [[ -n $_tg_tmpdir ]]; then
		return 0
	fi
	_tg_tmpdir="$(mktemp -d "${TMPDIR:-/tmp}/tenantgen-services.XXXXXX")" ||
		_tg_die "cannot create a temporary directory"
	# The postgres user must be able to reach its data directory inside.
	chmod 755 "$_tg_tmpdir"
	if [[ ${TENANTGEN_KEEP_SERVICES:-} == 1 ]]; then
		return 0
	fi
	# Chain after an EXIT trap the caller may already have: `trap -p EXIT`
	# prints  trap -- 'COMMAND' EXIT  (bash reports the caller's traps even
	# inside a command substitution).
	local -a old=()
	local prev=""
	eval "old=($(trap -p EXIT))"
	if ((${#old[@]} >= 3)); then
		prev=${old[2]}
	fi
	# Keep $? for the caller's trap; the script's exit status is kept anyway.
	# shellcheck disable=SC2064 # expand $prev now, on purpose
	trap "_tg_status=\$?; set +e; tenantgen_services_down${prev:+; (exit \$_tg_status); $prev}" EXIT
	# Make Ctrl-C and kill run the EXIT trap too.
	if [[ -z "$(trap -p INT)" ]]; then trap 'exit 130' INT; fi
	if [[ -z "$(trap -p TERM)" ]]; then trap 'exit 143' TERM; fi
}

# _tg_as_postgres CMD...: run CMD as the postgres user when root (PostgreSQL
# refuses to run as root), else as the current user.
_tg_as_postgres() {
	if ((EUID != 0)); then
		"$@"
	elif command -v runuser >/dev/null; then
		runuser -u postgres -- "$@"
	else
		su -s /bin/sh postgres -c "$(printf '%q ' "$@")"
	fi
}

# _tg_why: say why a private server is needed.
_tg_why() {
	if [[ ${TENANTGEN_SKIP_LOOPBACK:-} == 1 ]]; then
		printf 'TENANTGEN_SKIP_LOOPBACK=1 asks for a private server'
	else
		printf 'no server answers'
	fi
}

# _tg_sudo CMD...: run CMD as root, with sudo when not root.
_tg_sudo() {
	if ((EUID == 0)); then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		return 1
	fi
}

# _tg_apt_install PKG...: install Debian packages; false if it cannot.
_tg_apt_install() {
	if [[ ${TENANTGEN_NO_INSTALL:-} == 1 ]]; then
		_tg_log "services: TENANTGEN_NO_INSTALL=1, not installing $*"
		return 1
	fi
	if ! command -v apt-get >/dev/null; then
		_tg_log "services: apt-get not found, cannot install $*"
		return 1
	fi
	if ((EUID != 0)) && ! command -v sudo >/dev/null; then
		_tg_log "services: not root and sudo not found, cannot install $*"
		return 1
	fi
	_tg_log "services: installing $* with apt-get"
	local log
	log="$(mktemp)"
	if { [[ -n $_tg_apt_updated ]] ||
		_tg_sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1; } &&
		_tg_sudo env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends "$@" >>"$log" 2>&1; then
		_tg_apt_updated=1
		rm -f "$log"
		return 0
	fi
	_tg_log "services: apt-get failed; the end of its output:"
	tail -n 20 "$log" >&2
	rm -f "$log"
	return 1
}

# ---------------------------------------------------------------- Redis

# _tg_redis_hostport URL: print "HOST PORT" of a redis:// URL.
_tg_redis_hostport() {
	local rest=${1#*://}
	rest=${rest%%/*}
	rest=${rest##*@}
	local host=${rest%:*} port=6379
	if [[ $rest == *:* ]]; then port=${rest##*:}; fi
	printf '%s %s\n' "${host:-127.0.0.1}" "$port"
}

# _tg_redis_ping URL: true if the Redis server at URL answers PING.
_tg_redis_ping() {
	local url=$1 reply host port
	if command -v redis-cli >/dev/null; then
		reply="$(timeout 5 redis-cli --no-auth-warning -u "$url" ping 2>/dev/null)" || return 1
		[[ $reply == PONG ]]
		return
	fi
	read -r host port < <(_tg_redis_hostport "$url")
	# shellcheck disable=SC2016 # $0 and $1 are for the inner bash
	timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "PING\r\n" >&3 &&
		IFS= read -r -t 3 r <&3 && [[ $r == +PONG* ]]' "$host" "$port" 2>/dev/null
}

# _tg_redis_start: start a private redis-server; true if it answers.
_tg_redis_start() {
	local server port attempt url
	server="$(command -v redis-server)" || return 1
	_tg_mktemp
	mkdir -p "$_tg_tmpdir/redis" || return 1
	for attempt in 1 2 3; do
		port="$(_tg_free_port)" || return 1
		_tg_redis_pidfile="$_tg_tmpdir/redis/redis.pid"
		"$server" --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
			--daemonize yes --dir "$_tg_tmpdir/redis" \
			--pidfile "$_tg_redis_pidfile" \
			--logfile "$_tg_tmpdir/redis/redis.log" || true
		url="redis://127.0.0.1:$port/0"
		if _tg_poll 15 _tg_redis_ping "$url"; then
			TENANTGEN_REDIS_URL=$url
			_tg_log "redis: started private server on 127.0.0.1:$port (data in $_tg_tmpdir/redis)"
			return 0
		fi
		_tg_log "redis: private server on port $port did not answer (attempt $attempt); log:"
		tail -n 5 "$_tg_tmpdir/redis/redis.log" >&2 2>/dev/null || true
		_tg_redis_stop
	done
	return 1
}

# _tg_stop_pidfile FILE: stop the process whose PID FILE holds, if FILE is
# set and not empty (TERM, then KILL after 10 s), and remove FILE.
_tg_stop_pidfile() {
	local pid
	if [[ -z $1 || ! -s $1 ]]; then
		return 0
	fi
	pid="$(cat "$1")"
	kill "$pid" 2>/dev/null || true
	_tg_poll 10 _tg_pid_gone "$pid" || kill -9 "$pid" 2>/dev/null || true
	rm -f "$1"
}

# _tg_redis_stop: stop the private redis-server, if one was started.
_tg_redis_stop() { _tg_stop_pidfile "$_tg_redis_pidfile"; }

tenantgen_redis_up() {
	local url
	if [[ ${TENANTGEN_SKIP_LOOPBACK:-} != 1 ]]; then
		if [[ -n ${TENANTGEN_REDIS_URL:-} ]]; then
			if _tg_redis_ping "$TENANTGEN_REDIS_URL"; then
				_tg_log "redis: using TENANTGEN_REDIS_URL=$TENANTGEN_REDIS_URL"
				export TENANTGEN_REDIS_URL
				return 0
			fi
			_tg_log "redis: TENANTGEN_REDIS_URL=$TENANTGEN_REDIS_URL does not answer; ignoring it"
		fi
		url="redis://127.0.0.1:6379/0"
		if _tg_redis_ping "$url"; then
			_tg_log "redis: using server on 127.0.0.1:6379"
			export TENANTGEN_REDIS_URL=$url
			return 0
		fi
	fi
	if ! command -v redis-server >/dev/null; then
		_tg_log "redis: $(_tg_why) and redis-server is not installed"
		_tg_apt_install redis-server || true
	fi
	if ! command -v redis-server >/dev/null; then
		_tg_die "redis: no Redis server answers on 127.0.0.1:6379 and redis-server is not installed.
Install it (Debian/Ubuntu: sudo apt-get install redis-server), or start one and set
TENANTGEN_REDIS_URL=redis://HOST:PORT/0."
	fi
	_tg_redis_start || _tg_die "redis: could not start a private redis-server (see the log above)"
	export TENANTGEN_REDIS_URL
}

# ----------------------------------------------------------- PostgreSQL

# _tg_pg_ping URL: true if the PostgreSQL server at URL answers a query (or,
# with no client installed, at least accepts TCP connections).
_tg_pg_ping() {
	local url=$1 psql="" isready=""
	if [[ -n $_tg_pg_bindir && -x $_tg_pg_bindir/psql ]]; then
		psql="$_tg_pg_bindir/psql"
	elif command -v psql >/dev/null; then
		psql="$(command -v psql)"
	fi
	if [[ -n $psql ]]; then
		[[ "$(PGCONNECT_TIMEOUT=3 timeout 10 "$psql" -XAtq -d "$url" -c 'select 1' 2>/dev/null)" == 1 ]]
		return
	fi
	if command -v pg_isready >/dev/null; then isready="$(command -v pg_isready)"; fi
	if [[ -n $isready ]]; then
		PGCONNECT_TIMEOUT=3 timeout 10 "$isready" -q -d "$url"
		return
	fi
	local rest=${url#*://} host port=5432
	rest=${rest%%/*}
	rest=${rest%%\?*}
	rest=${rest##*@}
	host=${rest%:*}
	if [[ $rest == *:* ]]; then port=${rest##*:}; fi
	# shellcheck disable=SC2016 # $0 and $1 are for the inner bash
	timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "${host:-127.0.0.1}" "$port" 2>/dev/null
}

# _tg_pg_find_bindir: set _tg_pg_bindir to the newest installed PostgreSQL
# server bin directory; false if none.
_tg_pg_find_bindir() {
	local dir
	dir="$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)"
	if [[ -x $dir ]]; then
		_tg_pg_bindir="${dir%/initdb}"
	elif command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
		_tg_pg_bindir="$(dirname "$(command -v initdb)")"
	else
		return 1
	fi
	[[ -x $_tg_pg_bindir/pg_ctl ]]
}

# _tg_pg_start: initialise and start a private PostgreSQL; true if it answers.
_tg_pg_start() {
	local port attempt url dir
	_tg_mktemp
	dir="$_tg_tmpdir/postgres"
	mkdir -p "$dir/data" "$dir/run" && chmod 700 "$dir/data" || return 1
	if ((EUID == 0)); then
		if ! id postgres >/dev/null 2>&1; then
			_tg_log "postgres: creating system user postgres to run the private server"
			useradd --system --user-group --no-create-home \
				--home-dir /var/lib/postgresql --shell /bin/bash postgres || return 1
		fi
		chown -R postgres: "$dir" || return 1
	fi
	if ! (cd "$dir" && _tg_as_postgres "$_tg_pg_bindir/initdb" -D "$dir/data" \
		-U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync \
		>"$dir/initdb.log" 2>&1); then
		_tg_log "postgres: initdb failed; its log:"
		tail -n 20 "$dir/initdb.log" >&2 || true
		return 1
	fi
	_tg_pg_data="$dir/data"
	for attempt in 1 2 3; do
		port="$(_tg_free_port)" || return 1
		# pg_ctl -w waits (at most -t seconds) until the server accepts connections.
		if (cd "$dir" && _tg_as_postgres "$_tg_pg_bindir/pg_ctl" -D "$dir/data" \
			-l "$dir/postgres.log" -w -t 30 -o "-c listen_addresses=127.0.0.1 \
-c port=$port -c unix_socket_directories=$dir/run -c fsync=off \
-c synchronous_commit=off -c full_page_writes=off" start >/dev/null); then
			url="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
			if _tg_poll 15 _tg_pg_ping "$url"; then
				TENANTGEN_DATABASE_URL=$url
				_tg_log "postgres: started private server on 127.0.0.1:$port (data in $dir)"
				return 0
			fi
		fi
		_tg_log "postgres: private server on port $port did not start (attempt $attempt); log:"
		tail -n 5 "$dir/postgres.log" >&2 2>/dev/null || true
		_tg_pg_stop
	done
	return 1
}

# _tg_pg_stop: stop the private PostgreSQL, if one is running.
_tg_pg_stop() {
	if [[ -z $_tg_pg_data || ! -f $_tg_pg_data/postmaster.pid ]]; then
		return 0
	fi
	(cd "$_tg_pg_data/.." && _tg_as_postgres "$_tg_pg_bindir/pg_ctl" -D "$_tg_pg_data" \
		-m immediate -w -t 30 stop >/dev/null 2>&1) || true
}

tenantgen_postgres_up() {
	local url
	if [[ ${TENANTGEN_SKIP_LOOPBACK:-} != 1 ]]; then
		if [[ -n ${TENANTGEN_DATABASE_URL:-} ]]; then
			if _tg_pg_ping "$TENANTGEN_DATABASE_URL"; then
				_tg_log "postgres: using TENANTGEN_DATABASE_URL=$TENANTGEN_DATABASE_URL"
				export TENANTGEN_DATABASE_URL
				return 0
			fi
			_tg_log "postgres: TENANTGEN_DATABASE_URL=$TENANTGEN_DATABASE_URL does not answer; ignoring it"
		fi
		url="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
		if _tg_pg_ping "$url"; then
			_tg_log "postgres: using server on 127.0.0.1:5432"
			export TENANTGEN_DATABASE_URL=$url
			return 0
		fi
	fi
	if ! _tg_pg_find_bindir; then
		_tg_log "postgres: $(_tg_why) and no PostgreSQL server binaries (initdb, pg_ctl) are installed"
		_tg_apt_install postgresql || true
	fi
	if ! _tg_pg_find_bindir; then
		_tg_die "postgres: no PostgreSQL server answers on 127.0.0.1:5432 (user postgres, no password)
and no initdb/pg_ctl were found under /usr/lib/postgresql/*/bin or on PATH.
Install them (Debian/Ubuntu: sudo apt-get install postgresql), or start a server and set
TENANTGEN_DATABASE_URL=postgres://USER@HOST:PORT/DB?sslmode=disable."
	fi
	_tg_pg_start || _tg_die "postgres: could not start a private server (see the log above)"
	export TENANTGEN_DATABASE_URL
}

# ------------------------------------------------------------- PgBouncer

# _tg_pgb_find: print the path of the pgbouncer binary; false if none.
_tg_pgb_find() {
	if command -v pgbouncer 2>/dev/null; then
		return 0
	fi
	if [[ -x /usr/sbin/pgbouncer ]]; then
		printf '%s\n' /usr/sbin/pgbouncer
		return 0
	fi
	return 1
}

# _tg_pgb_target URL: print "HOST PORT USER PASSWORD" of a postgres:// URL,
# the server a private pgbouncer forwards to (PASSWORD may be empty).
_tg_pgb_target() {
	local rest=${1#*://} auth="" host port=5432 user=postgres pass=""
	rest=${rest%%/*}
	rest=${rest%%\?*}
	if [[ $rest == *@* ]]; then
		auth=${rest%@*}
		rest=${rest##*@}
	fi
	if [[ -n $auth ]]; then
		user=${auth%%:*}
		if [[ $auth == *:* ]]; then pass=${auth#*:}; fi
	fi
	host=${rest%:*}
	if [[ $rest == *:* ]]; then port=${rest##*:}; fi
	printf '%s %s %s %s\n' "${host:-127.0.0.1}" "$port" "$user" "$pass"
}

# _tg_pgb_start: start a private pgbouncer in transaction pool mode in front
# of $TENANTGEN_DATABASE_URL; true if it answers.
_tg_pgb_start() {
	local bin=$1 dir host port user pass attempt listen url db
	read -r host port user pass < <(_tg_pgb_target "$TENANTGEN_DATABASE_URL")
	db=${TENANTGEN_DATABASE_URL#*://}
	db=${db#*/}
	db=${db%%\?*}
	_tg_mktemp
	dir="$_tg_tmpdir/pgbouncer"
	mkdir -p "$dir" || return 1
	for attempt in 1 2 3; do
		listen="$(_tg_free_port)" || return 1
		# auth_type any: clients log in without a password, as the
		# forwarding entry's user. No ignore_startup_parameters: a client
		# that sends search_path must meet the refusal real deployments
		# give. default_pool_size is small so that the tests' clients
		# share server connections, which is what transaction pooling is.
		cat >"$dir/pgbouncer.ini" <<-INI
			[databases]
			* = host=$host port=$port user=$user${pass:+ password=$pass}
			[pgbouncer]
			listen_addr = 127.0.0.1
			listen_port = $listen
			unix_socket_dir =
			auth_type = any
			pool_mode = transaction
			max_client_conn = 2000
			default_pool_size = 10
			pidfile = $dir/pgbouncer.pid
			logfile = $dir/pgbouncer.log
		INI
		# PgBouncer refuses to run as root: run it as postgres then.
		if ((EUID == 0)); then chown -R postgres: "$dir" || return 1; fi
		_tg_pgb_pidfile="$dir/pgbouncer.pid"
		(cd "$dir" && _tg_as_postgres "$bin" -d -q "$dir/pgbouncer.ini") || true
		url="postgres://$user@127.0.0.1:$listen/${db:-postgres}?sslmode=disable"
		if _tg_poll 15 _tg_pg_ping "$url"; then
			TENANTGEN_TEST_PGBOUNCER_URL=$url
			_tg_log "pgbouncer: started private $("$bin" --version | head -n 1) in transaction pool mode on 127.0.0.1:$listen, in front of $host:$port (files in $dir)"
			if [[ ${TENANTGEN_KEEP_SERVICES:-} == 1 ]]; then
				_tg_log "pgbouncer: TENANTGEN_KEEP_SERVICES=1: it keeps running; to stop it: kill \$(cat $_tg_pgb_pidfile)"
			fi
			return 0
		fi
		_tg_log "pgbouncer: private pgbouncer on port $listen did not answer (attempt $attempt); log:"
		tail -n 5 "$dir/pgbouncer.log" >&2 2>/dev/null || true
		_tg_pgb_stop
	done
	return 1
}

# _tg_pgb_stop: stop the private pgbouncer, if one was started.
_tg_pgb_stop() { _tg_stop_pidfile "$_tg_pgb_pidfile"; }

# tenantgen_pgbouncer_up: find or start a PgBouncer in transaction pool mode
# in front of the PostgreSQL server of tenantgen_postgres_up, and export
# TENANTGEN_TEST_PGBOUNCER_URL.
tenantgen_pgbouncer_up() {
	local bin
	if [[ ${TENANTGEN_SKIP_PGBOUNCER:-} == 1 ]]; then
		_tg_log "pgbouncer: TENANTGEN_SKIP_PGBOUNCER=1: not starting one; the PgBouncer tests will be skipped"
		unset TENANTGEN_TEST_PGBOUNCER_URL
		return 0
	fi
	if [[ -n ${TENANTGEN_TEST_PGBOUNCER_URL:-} ]]; then
		if _tg_pg_ping "$TENANTGEN_TEST_PGBOUNCER_URL"; then
			_tg_log "pgbouncer: using TENANTGEN_TEST_PGBOUNCER_URL=$TENANTGEN_TEST_PGBOUNCER_URL (it must be in transaction pool mode)"
			export TENANTGEN_TEST_PGBOUNCER_URL
			return 0
		fi
		_tg_log "pgbouncer: TENANTGEN_TEST_PGBOUNCER_URL=$TENANTGEN_TEST_PGBOUNCER_URL does not answer; ignoring it"
	fi
	if [[ -z ${TENANTGEN_DATABASE_URL:-} ]]; then
		tenantgen_postgres_up
	fi
	if ! bin="$(_tg_pgb_find)"; then
		_tg_log "pgbouncer: not installed"
		_tg_apt_install pgbouncer || true
	fi
	if ! bin="$(_tg_pgb_find)"; then
		_tg_die "pgbouncer: not installed and could not be installed; the tests run a suite through it.
Install it (Debian/Ubuntu: sudo apt-get install pgbouncer), or point
TENANTGEN_TEST_PGBOUNCER_URL at a PgBouncer in transaction pool mode, or set
TENANTGEN_SKIP_PGBOUNCER=1 to skip those tests on this machine."
	fi
	_tg_pgb_start "$bin" || _tg_die "pgbouncer: could not start a private pgbouncer (see the log above)"
	export TENANTGEN_TEST_PGBOUNCER_URL
}

# ------------------------------------------------------------ together

# tenantgen_services_up: find or start both servers and export their URLs.
tenantgen_services_up() {
	tenantgen_postgres_up
	tenantgen_redis_up
	_tg_keep_note
}

# _tg_keep_note: with TENANTGEN_KEEP_SERVICES=1, say how to stop the private
# servers started so far.
_tg_keep_note() {
	if [[ -n $_tg_tmpdir && ${TENANTGEN_KEEP_SERVICES:-} == 1 ]]; then
		_tg_log "services: TENANTGEN_KEEP_SERVICES=1: private servers keep running; to stop them:"
		if [[ -n $_tg_redis_pidfile ]]; then
			_tg_log "  kill \$(cat $_tg_redis_pidfile)"
		fi
		if [[ -n $_tg_pg_data ]]; then
			local as=""
			if ((EUID == 0)); then as="runuser -u postgres -- "; fi
			_tg_log "  $as$_tg_pg_bindir/pg_ctl -D $_tg_pg_data -m fast stop"
		fi
		_tg_log "  rm -rf $_tg_tmpdir"
	fi
}

# tenantgen_services_down: stop the private servers this shell started and
# remove their temporary directory. The EXIT trap calls it.
tenantgen_services_down() {
	_tg_pgb_stop
	_tg_redis_stop
	_tg_pg_stop
	if [[ -n $_tg_tmpdir && -d $_tg_tmpdir ]]; then
		rm -rf "$_tg_tmpdir"
	fi
	_tg_tmpdir=""
}

# ------------------------------------------------------------------- Go

# _tg_go_want: print the Go version go.mod asks for (its toolchain line, else
# its go line), such as 1.26.0.
_tg_go_want() {
	awk '$1 == "toolchain" { sub(/^go/, "", $2); t = $2 }
		$1 == "go" { g = $2 }
		END { print (t != "" ? t : g) }' "$_tg_root/go.mod"
}

# _tg_go_have: print the version of the go on PATH, such as 1.26.8, without
# letting it switch toolchains.
_tg_go_have() {
	local v
	if ! v="$(cd / && GOTOOLCHAIN=local go env GOVERSION 2>/dev/null)"; then
		v="$(go version)"
	fi
	printf '%s\n' "$v" | sed -n 's/.*go\([0-9][0-9.]*\).*/\1/p' | head -n 1
}

# _tg_version_ge A B: true if version A >= version B.
_tg_version_ge() {
	[[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" == "$2" ]]
}

# _tg_go_fetch_toolchain VERSION: download Go VERSION as the golang.org/toolchain
# module through the module proxy, using the (older) go on PATH, and put it
# first on PATH. This is what GOTOOLCHAIN=auto does, but it also works with Go
# releases older than 1.21, which cannot switch toolchains themselves.
_tg_go_fetch_toolchain() {
	local want=$1 goos goarch dir
	goos="$(go env GOHOSTOS)"
	goarch="$(go env GOHOSTARCH)"
	_tg_log "go: fetching go$want through the Go module proxy (module golang.org/toolchain)"
	dir="$(cd / && GO111MODULE=on GOFLAGS='' GOTOOLCHAIN=local \
		go mod download -json "golang.org/toolchain@v0.0.1-go$want.$goos-$goarch" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')" || return 1
	[[ -n $dir && -f $dir/bin/go ]] || return 1
	# Go releases before 1.21 extract module files without execute bits.
	if [[ ! -x $dir/bin/go ]]; then
		chmod a+x "$dir"/bin/* "$dir"/pkg/tool/*/* || return 1
	fi
	export PATH="$dir/bin:$PATH"
}

# tenantgen_ensure_go: make sure `go` on PATH is at least the version go.mod
# asks for, installing or fetching one if needed.
tenantgen_ensure_go() {
	local want have
	if ! command -v go >/dev/null; then
		if [[ -x /usr/local/go/bin/go ]]; then
			_tg_log "go: not on PATH; using /usr/local/go/bin/go"
			export PATH="/usr/local/go/bin:$PATH"
		else
			_tg_log "go: not found; installing Debian's golang-go"
			_tg_apt_install golang-go ca-certificates git || true
			command -v go >/dev/null || _tg_die "go: not found and could not be installed.
Install Go (Debian/Ubuntu: sudo apt-get install golang-go) or put it on PATH."
		fi
	fi
	want="$(_tg_go_want)"
	have="$(_tg_go_have)"
	if ! _tg_version_ge "$have" "$want"; then
		_tg_log "go: $(command -v go) is go$have, older than go$want that go.mod asks for"
		_tg_go_fetch_toolchain "$want" || _tg_die "go: could not fetch go$want; install Go $want or newer and put it on PATH"
		have="$(_tg_go_have)"
	fi
	_tg_log "go: using go$have ($(command -v go))"
	# go test -race needs cgo, and so a C compiler.
	if ! command -v "${CC:-gcc}" >/dev/null && ! command -v cc >/dev/null; then
		_tg_log "go: no C compiler found; go test -race needs one"
		_tg_apt_install gcc libc6-dev ||
			_tg_die "go: no C compiler; install one (Debian/Ubuntu: sudo apt-get install gcc libc6-dev)"
	fi
}

# ------------------------------------------------------------- Chromium

# tenantgen_chromium: find a headless browser for the dashboard's browser
# tests (runtime/dashboard) and export TENANTGEN_CHROMIUM with its path:
# $TENANTGEN_CHROMIUM if it names a program, else chromium on PATH or in
# /usr/bin, else Debian's chromium package (and fonts-liberation) installed
# with apt-get. If none can be had it says why and returns 0 with
# TENANTGEN_CHROMIUM unset: the browser tests then skip, saying so.
# TENANTGEN_NO_INSTALL=1 forbids the install, as for the servers.
tenantgen_chromium() {
	local c
	for c in "${TENANTGEN_CHROMIUM:-}" "$(command -v chromium 2>/dev/null || true)" /usr/bin/chromium; do
		if [[ -n $c && -x $c ]]; then
			export TENANTGEN_CHROMIUM=$c
			_tg_log "chromium: using $c"
			return 0
		fi
	done
	# fonts-liberation is only recommended, and without a font the pages'
	# text has no glyphs to lay out.
	if _tg_apt_install chromium fonts-liberation && [[ -x /usr/bin/chromium ]]; then
		export TENANTGEN_CHROMIUM=/usr/bin/chromium
		_tg_log "chromium: installed $TENANTGEN_CHROMIUM"
		return 0
	fi
	unset TENANTGEN_CHROMIUM
	_tg_log "chromium: not found and could not be installed (Debian/Ubuntu: sudo apt-get install chromium); the dashboard's browser tests will skip"
	return 0
}

# ----------------------------------------------------------------- main

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	# Run, not sourced: keep private servers and print what to eval.
	export TENANTGEN_KEEP_SERVICES=1
	tenantgen_postgres_up
	tenantgen_redis_up
	tenantgen_pgbouncer_up
	_tg_keep_note
	printf 'export TENANTGEN_DATABASE_URL=%q\n' "$TENANTGEN_DATABASE_URL"
	printf 'export TENANTGEN_REDIS_URL=%q\n' "$TENANTGEN_REDIS_URL"
	if [[ -n ${TENANTGEN_TEST_PGBOUNCER_URL:-} ]]; then
		printf 'export TENANTGEN_TEST_PGBOUNCER_URL=%q\n' "$TENANTGEN_TEST_PGBOUNCER_URL"
	fi
else
	tenantgen_services_up
fi
