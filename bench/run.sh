#!/usr/bin/env bash
# bench/run.sh — sluice and nginx side by side, on the same machine, in the
# same run, with the very same nginx.conf (only the listen port differs).
#
#   bench/run.sh                 full run (ROUNDS=3, DURATION=10 s, 10,000 idle)
#   QUICK=1 bench/run.sh         a check that everything works (1 round, 3 s, 1,000 idle)
#
# What it does:
#   1. installs what is missing (nginx-core, wrk) with apt-get (sudo when not
#      root), builds sluice and the two Go helpers (bench/idleconns,
#      bench/slowreader) into a temporary directory;
#   2. starts a backend: an nginx instance answering /small with `return 200`
#      of 100 bytes and serving /big (1 MiB) and /big32 (32 MiB) static files;
#   3. starts the server under test twice — Debian's nginx (worker_processes
#      1) and sluice (worker_processes 1) — each with the same configuration:
#      an upstream group with keepalive 64, proxy_pass, access_log off;
#   4. for each round and each scenario runs nginx then sluice (the order
#      alternates between rounds), and prints a table: scenario, server,
#      requests/s (median, min–max), p50/p99 latency (of the median round),
#      peak RSS, and the ratio sluice/nginx.
#
# Scenarios: small responses over 50 keepalive connections; 1 MiB responses
# over 10 connections; 1,000 concurrent connections; 10,000 idle keepalive
# connections held open (RSS of each server); one slow client downloading
# 32 MiB with buffering on (peak RSS, and whether a temp file was used). The
# RSS column of the load scenarios is the peak seen while wrk ran; the idle
# and slow scenarios restart each server first and measure that process
# alone.
#
# CPU pinning: with two or more CPUs, the servers under test run on CPU
# $SERVER_CPU (default 0) and the load generators and the backend on
# $LOAD_CPU (default 1), with taskset, so that wrk does not steal the
# server's core; set PIN=0 to run unpinned. Figures from a shared machine
# are noisy: compare the ratios, and rerun.
#
# Environment: ROUNDS, DURATION (seconds per wrk run), IDLE (connections held),
# QUICK=1, PIN=0, SERVER_CPU, LOAD_CPU, KEEP=1 (keep the work directory).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ "${QUICK:-0}" = 1 ]; then
	ROUNDS=${ROUNDS:-1} DURATION=${DURATION:-3} IDLE=${IDLE:-1000}
fi
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
IDLE=${IDLE:-10000}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
PIN=${PIN:-1}
if [ "$(nproc)" -lt 2 ]; then
	PIN=0
fi

say() { printf '== %s\n' "$*" >&2; }
die() {
	printf 'bench: %s\n' "$*" >&2
	# the work directory (logs, configurations) is kept for a look
	KEEP=1
	exit 1
}

# ------------------------------------------------------------ dependencies

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
fi
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[ -x /usr/sbin/nginx ] || missing+=(nginx-core)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
if [ "${#missing[@]}" -gt 0 ]; then
	say "installing ${missing[*]}"
	if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
		die "need ${missing[*]}: not root and no sudo; install them and rerun"
	fi
	# keep package scripts from starting the nginx service (port 80)
	policy=/usr/sbin/policy-rc.d
	created=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod 755 "$policy" && created=1
	fi
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
	if [ "$created" = 1 ]; then $SUDO rm -f "$policy"; fi
fi
command -v go >/dev/null 2>&1 || die "Go is needed to build sluice (see the README)"

# Each server holds IDLE client connections plus upstream ones.
want_fds=$((IDLE * 2 + 4096))
ulimit -n "$want_fds" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((IDLE + 1024)) ]; then
	die "ulimit -n is $(ulimit -n); $((IDLE + 1024)) descriptors are needed for IDLE=$IDLE (raise the hard limit or lower IDLE)"
fi

# ------------------------------------------------------------ setup

WORK=$(mktemp -d /tmp/sluice-bench.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
	# samplers and helpers still running
	local j
	for j in $(jobs -p); do kill "$j" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do
		kill -QUIT "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	if [ "${KEEP:-0}" = 1 ]; then
		say "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

say "building sluice and the helpers"
mkdir -p "$WORK/bin"
(cd "$ROOT" && go build -o "$WORK/bin/sluice" ./cmd/sluice &&
	go build -o "$WORK/bin/idleconns" ./bench/idleconns &&
	go build -o "$WORK/bin/slowreader" ./bench/slowreader)

# free_port picks a port below the kernel's ephemeral range: one inside it
# can be the local end of some outgoing connection, and listening on it
# then fails although nothing accepts there.
free_port() {
	local p low
	low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	for p in $(shuf -i 10000-$((low - 1)) -n 200); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	die "no free port"
}

on_cpu() {
	local cpu=$1
	shift
	if [ "$PIN" = 1 ]; then
		taskset -c "$cpu" "$@"
	else
		"$@"
	fi
}

# start_bg CPU COMMAND...: for "start_bg ... &": the command replaces the
# background subshell, so that $! is its own pid.
start_bg() {
	local cpu=$1
	shift
	if [ "$PIN" = 1 ]; then
		exec taskset -c "$cpu" "$@"
	fi
	exec "$@"
}

wait_port() {
	local port=$1 pid=$2
	for _ in $(seq 200); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 5 "$WORK"/*/logs/error.log >&2 2>/dev/null || true
			die "the server on port $port exited; see $WORK"
		fi
		sleep 0.05
	done
	die "nothing listens on port $port"
}

BPORT=$(free_port)
NPORT=$(free_port)
SPORT=$(free_port)

# the backend: a cheap nginx
mkdir -p "$WORK/backend/conf" "$WORK/backend/logs" "$WORK/backend/html"
head -c $((1 << 20)) /dev/urandom >"$WORK/backend/html/big"
head -c $((32 << 20)) /dev/urandom >"$WORK/backend/html/big32"
chmod -R a+rX "$WORK/backend"
small=$(printf '%0100d' 0)
cat >"$WORK/backend/conf/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid logs/nginx.pid;
error_log logs/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$BPORT backlog=4096;
        location = /small { default_type text/plain; return 200 "$small"; }
        location / { root html; }
    }
}
EOF

# the configuration under test, the same for both servers
conf_under_test() {
	cat <<EOF
worker_processes 1;
daemon off;
pid logs/nginx.pid;
error_log logs/error.log;
events { worker_connections $((IDLE + 4096)); }
http {
    access_log off;
    keepalive_requests 100000;
    proxy_temp_path proxy_temp;
    upstream backend {
        server 127.0.0.1:$BPORT;
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$1 backlog=4096;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
}

for s in nginx sluice; do
	mkdir -p "$WORK/$s/conf" "$WORK/$s/logs" "$WORK/$s/proxy_temp"
	chmod 777 "$WORK/$s/proxy_temp" "$WORK/$s/logs"
done
conf_under_test "$NPORT" >"$WORK/nginx/conf/nginx.conf"
conf_under_test "$SPORT" >"$WORK/sluice/conf/nginx.conf"

say "starting the backend and both servers"
start_bg "$LOAD_CPU" /usr/sbin/nginx -p "$WORK/backend" -c conf/nginx.conf 2>"$WORK/backend/logs/stderr" &
BPID=$!
PIDS+=("$BPID")
wait_port "$BPORT" "$BPID"
# start_server SERVER: starts the server under test (its pid in NPID or
# SPID) and waits for its port.
start_server() {
	if [ "$1" = nginx ]; then
		start_bg "$SERVER_CPU" /usr/sbin/nginx -p "$WORK/nginx" -c conf/nginx.conf 2>>"$WORK/nginx/logs/stderr" &
		NPID=$!
		PIDS+=("$NPID")
		wait_port "$NPORT" "$NPID"
	else
		start_bg "$SERVER_CPU" "$WORK/bin/sluice" -p "$WORK/sluice" -c conf/nginx.conf 2>>"$WORK/sluice/logs/stderr" &
		SPID=$!
		PIDS+=("$SPID")
		wait_port "$SPORT" "$SPID"
	fi
}
start_server nginx
start_server sluice

# restart_server SERVER: stops the server under test and starts it again on
# the same port, so that a memory scenario measures a fresh process rather
# than the high-water mark the load scenarios before it left (a Go heap, like
# nginx's pools, keeps pages it no longer uses for a while).
restart_server() {
	local s=$1 pid
	if [ "$s" = nginx ]; then pid=$NPID; else pid=$SPID; fi
	kill -QUIT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	# forget the old pid: cleanup must not signal a number the system may
	# have given to another process
	local keep=() p
	for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
	start_server "$s"
	# one request opens the upstream keepalive connection and warms the path
	curl -s -o /dev/null "http://127.0.0.1:$(port_of "$s")/small" || true
}

# rss_kb SERVER: resident memory of the server under test (nginx: master and
# worker together; sluice: its one process).
rss_kb() {
	local total=0 p v
	for p in $(server_pids "$1"); do
		v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
		total=$((total + ${v:-0}))
	done
	echo "$total"
}

# server_pids SERVER: the processes of the server under test.
server_pids() {
	if [ "$1" = nginx ]; then
		echo "$NPID $(pgrep -P "$NPID" | tr '\n' ' ')"
	else
		echo "$SPID"
	fi
}

# temp_fds SERVER: open descriptors on the server's proxy temp files.
temp_fds() {
	local p n=0
	for p in $(server_pids "$1"); do
		n=$((n + $(ls -l "/proc/$p/fd" 2>/dev/null | grep -c "$WORK/$1/proxy_temp/" || true)))
	done
	echo "$n"
}

# sample SERVER FILE: records the peak RSS (and the most proxy temp files
# seen) every 100 ms until killed.
sample() {
	local server=$1 out=$2 peak=0 files=0 r f
	while :; do
		r=$(rss_kb "$server")
		[ "$r" -gt "$peak" ] && peak=$r
		# temp files are unlinked once open (nginx and sluice alike): count
		# the server's descriptors on files of its proxy_temp
		f=$(temp_fds "$server")
		[ "$f" -gt "$files" ] && files=$f
		echo "$peak $files" >"$out"
		sleep 0.1
	done
}

port_of() { if [ "$1" = nginx ]; then echo "$NPORT"; else echo "$SPORT"; fi; }

# to_ms VALUE: wrk's latency ("812.00us", "1.23ms", "2.01s") in ms.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000
		printf "%.2f", n }'
}

RESULTS=$WORK/results.txt
: >"$RESULTS"

# run_wrk SCENARIO SERVER ROUND CONNS PATH
run_wrk() {
	local scenario=$1 server=$2 round=$3 conns=$4 path=$5 out rps p50 p99 peak
	out=$WORK/wrk-$scenario-$server-$round.txt
	sample "$server" "$WORK/sample" &
	local spid=$!
	on_cpu "$LOAD_CPU" wrk -t1 -c"$conns" -d"${DURATION}s" --latency "http://127.0.0.1:$(port_of "$server")$path" >"$out" 2>&1 || true
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null || true
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
	p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
	p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
	peak=$(awk '{print $1}' "$WORK/sample")
	if [ -z "$rps" ]; then
		cat "$out" >&2
		die "wrk gave no result for $scenario on $server"
	fi
	if grep -q "Non-2xx\|Socket errors" "$out"; then
		printf 'bench: %s on %s: %s\n' "$scenario" "$server" "$(grep "Non-2xx\|Socket errors" "$out" | tr '\n' ' ')" >&2
	fi
	echo "$scenario $server $round $rps $p50 $p99 $peak -" >>"$RESULTS"
}

# run_idle SERVER ROUND: IDLE keepalive connections held open.
run_idle() {
	local server=$1 round=$2 fifo=$WORK/idle.fifo before after
	before=$(rss_kb "$server")
	rm -f "$fifo"
	mkfifo "$fifo"
	start_bg "$LOAD_CPU" "$WORK/bin/idleconns" -addr "127.0.0.1:$(port_of "$server")" -n "$IDLE" -path /small <"$fifo" >"$WORK/idle.out" 2>&1 &
	local ipid=$!
	exec 7>"$fifo"
	for _ in $(seq 600); do
		grep -q '^ready' "$WORK/idle.out" 2>/dev/null && break
		kill -0 "$ipid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^ready' "$WORK/idle.out" || {
		exec 7>&-
		cat "$WORK/idle.out" >&2
		die "idleconns failed against $server"
	}
	sleep 1 # let the server settle its per-connection state before reading RSS
	after=$(rss_kb "$server")
	exec 7>&-
	wait "$ipid" || true
	echo "idle-$IDLE $server $round - - - $after $((after - before))" >>"$RESULTS"
}

# run_slow SERVER ROUND: a slow client downloading 32 MiB, buffering on.
run_slow() {
	local server=$1 round=$2 out=$WORK/slow.out
	sample "$server" "$WORK/sample" &
	local spid=$!
	on_cpu "$LOAD_CPU" "$WORK/bin/slowreader" -addr "127.0.0.1:$(port_of "$server")" -path /big32 -rate $((8 << 20)) >"$out" 2>&1 ||
		{
			cat "$out" >&2
			die "slowreader failed against $server"
		}
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null || true
	local peak files
	read -r peak files <"$WORK/sample"
	echo "slow-32MiB $server $round - - - $peak temp=$files" >>"$RESULTS"
}

say "warming up"
for s in nginx sluice; do
	on_cpu "$LOAD_CPU" wrk -t1 -c10 -d1s "http://127.0.0.1:$(port_of $s)/small" >/dev/null 2>&1 || true
done

for round in $(seq "$ROUNDS"); do
	if [ $((round % 2)) = 1 ]; then order="nginx sluice"; else order="sluice nginx"; fi
	say "round $round of $ROUNDS ($order)"
	for s in $order; do run_wrk small-c50 "$s" "$round" 50 /small; done
	for s in $order; do run_wrk 1MiB-c10 "$s" "$round" 10 /big; done
	for s in $order; do run_wrk small-c1000 "$s" "$round" 1000 /small; done
	for s in $order; do
		restart_server "$s"
		run_idle "$s" "$round"
	done
	for s in $order; do
		restart_server "$s"
		run_slow "$s" "$round"
	done
done

# ------------------------------------------------------------ report

median() { sort -n | awk '{a[NR] = $1} END {if (NR == 0) {print "-"} else if (NR % 2) {print a[(NR + 1) / 2]} else {print (a[NR / 2] + a[NR / 2 + 1]) / 2}}'; }

echo
echo "sluice vs nginx — $(date -u +%Y-%m-%d), $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)),"
echo "$(/usr/sbin/nginx -v 2>&1 | sed 's/.*version: //'), $("$WORK/bin/sluice" -v 2>&1 | head -1 | sed 's/.*version: //'), $(go version | awk '{print $3}'), $(wrk --version 2>&1 | head -1 | awk '{print $1, $2}');"
echo "rounds=$ROUNDS duration=${DURATION}s idle=$IDLE pinning=$([ "$PIN" = 1 ] && echo "servers on CPU $SERVER_CPU, load and backend on CPU $LOAD_CPU" || echo off)"
echo
echo "| scenario | server | req/s median (min–max) | p50 ms | p99 ms | peak RSS MiB | sluice/nginx |"
echo "|---|---|---|---|---|---|---|"
for scenario in small-c50 1MiB-c10 small-c1000; do
	declare -A med=()
	for s in nginx sluice; do
		vals=$(awk -v sc="$scenario" -v s="$s" '$1 == sc && $2 == s {print $4}' "$RESULTS")
		m=$(echo "$vals" | median)
		lo=$(echo "$vals" | sort -n | head -1)
		hi=$(echo "$vals" | sort -n | tail -1)
		# latency and RSS of the round whose req/s is closest to the median
		row=$(awk -v sc="$scenario" -v s="$s" -v m="$m" '$1 == sc && $2 == s {d = $4 - m; if (d < 0) d = -d; if (best == "" || d < bd) {best = $0; bd = d}} END {print best}' "$RESULTS")
		p50=$(echo "$row" | awk '{print $5}')
		p99=$(echo "$row" | awk '{print $6}')
		peak=$(awk -v sc="$scenario" -v s="$s" '$1 == sc && $2 == s && $7 > p {p = $7} END {printf "%.1f", p / 1024}' "$RESULTS")
		med[$s]=$m
		ratio=""
		if [ "$s" = sluice ]; then
			ratio=$(awk -v a="${med[sluice]}" -v b="${med[nginx]}" 'BEGIN {printf "%.2f× req/s", a / b}')
			p99n=$(awk -v sc="$scenario" -v m="${med[nginx]}" '$1 == sc && $2 == "nginx" {d = $4 - m; if (d < 0) d = -d; if (best == "" || d < bd) {best = $6; bd = d}} END {print best}' "$RESULTS")
			ratio="$ratio, $(awk -v a="$p99" -v b="$p99n" 'BEGIN {if (b > 0) printf "%.2f× p99", a / b; else print "- p99"}')"
		fi
		printf '| %s | %s | %.0f (%.0f–%.0f) | %s | %s | %s | %s |\n' "$scenario" "$s" "$m" "$lo" "$hi" "$p50" "$p99" "$peak" "$ratio"
	done
	unset med
done
for scenario in "idle-$IDLE" slow-32MiB; do
	declare -A rss=()
	for s in nginx sluice; do
		rss[$s]=$(awk -v sc="$scenario" -v s="$s" '$1 == sc && $2 == s {print $7}' "$RESULTS" | median)
		extra=$(awk -v sc="$scenario" -v s="$s" '$1 == sc && $2 == s {print $8}' "$RESULTS" | tail -1)
		note=""
		case "$scenario" in
		slow-*) note="; temp file descriptors seen: ${extra#temp=}" ;;
		esac
		ratio=""
		if [ "$s" = sluice ]; then
			ratio=$(awk -v a="${rss[sluice]}" -v b="${rss[nginx]}" 'BEGIN {printf "%.2f× RSS", a / b}')
		fi
		printf '| %s | %s | — | — | — | %s%s | %s |\n' "$scenario" "$s" "$(awk -v k="${rss[$s]}" 'BEGIN {printf "%.1f", k / 1024}')" "$note" "$ratio"
	done
	unset rss
done
