#!/usr/bin/env bash
# scripts/test.sh — sluice's one test command (CI runs it through .ci/run).
#
# Usage: scripts/test.sh [extra go test flags]      e.g. scripts/test.sh -run TestProxy
#
# On a fresh Debian 12 machine it first installs what the suite needs
# (apt-get, with sudo when not root): nginx-core (the differential oracle,
# /usr/sbin/nginx, and its image_filter dynamic module for the image_filter
# differential test), memcached, redis-server, curl, and gcc + libc6-dev (the
# race detector needs cgo). No service is left running: package scripts are
# told not to start services while installing.
#
# Then, in order, stopping at the first failing step:
#   1. gofmt -l            must list nothing
#   2. go vet ./...
#   3. go test -race -count=1 [extra flags] $PKGS, then the allocation tests
#      (-run Allocs) again without the race detector
#   4. a fuzz pass: every Fuzz target in the repository (found with
#      go test -list '^Fuzz' ./...) runs for $FUZZTIME; all targets run, and
#      the step fails if any failed (a failing input is saved by go test under
#      the package's testdata/fuzz/).
#
# Environment:
#   FUZZTIME      time per fuzz target (default 10s); FUZZTIME=0 skips the fuzz pass
#   PKGS          packages for go vet and go test (default ./...)
#   SKIP_INSTALL  set to 1 to check for the packages without installing them
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT=$(pwd)
FUZZTIME=${FUZZTIME:-10s}
PKGS=${PKGS:-./...}
LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sluice-test.XXXXXX")
trap 'rm -rf "$LOG_DIR"' EXIT

declare -a SUMMARY=()
note() { SUMMARY+=("$(printf '%-10s %s' "$1" "$2")"); }
step() { printf '\n==== %s ====\n' "$*"; }

TESTS_PASSED=0 TESTS_FAILED=0 TESTS_SKIPPED=0 TESTS_RAN=0

finish() {
	local rc=$1
	step "summary"
	local line
	for line in "${SUMMARY[@]}"; do
		printf '%s\n' "$line"
	done
	if [ "$rc" -eq 0 ]; then
		printf 'result:    PASS\n'
	else
		printf 'result:    FAIL\n'
	fi
	# The plain closing line CI reads: counts of go test's tests and subtests
	# (fuzz targets that failed count as failed tests).
	if [ "$TESTS_RAN" -eq 1 ]; then
		printf 'sluice: %d passed, %d failed, %d skipped\n' "$TESTS_PASSED" "$TESTS_FAILED" "$TESTS_SKIPPED"
	else
		printf 'sluice: go test did not run (an earlier step failed)\n'
	fi
	exit "$rc"
}

fail() {
	printf 'test.sh: %s\n' "$*" >&2
	finish 1
}

# ---------------------------------------------------------------- packages

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	fi
fi

POLICY=/usr/sbin/policy-rc.d
POLICY_CREATED=0
remove_policy() {
	if [ "$POLICY_CREATED" -eq 1 ]; then
		$SUDO rm -f "$POLICY"
		POLICY_CREATED=0
	fi
}
trap 'remove_policy; rm -rf "$LOG_DIR"' EXIT

install_packages() {
	step "installing: $*"
	if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
		fail "need to install $* but not root and sudo is missing; install them and rerun"
	fi
	# Forbid package scripts from starting services (nginx would take port 80).
	if [ ! -e "$POLICY" ]; then
		if printf '#!/bin/sh\n# temporary, from sluice scripts/test.sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null &&
			$SUDO chmod 755 "$POLICY"; then
			POLICY_CREATED=1
		else
			fail "cannot write $POLICY to keep services from starting"
		fi
	fi
	if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update; then
		remove_policy
		fail "apt-get update failed"
	fi
	if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"; then
		remove_policy
		fail "apt-get install $* failed"
	fi
	remove_policy
	# Belt and braces: if nginx's service started anyway, stop it.
	if [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
		echo "test.sh: the nginx service started during install; stopping it"
		$SUDO service nginx stop || true
	fi
}

# command-or-path:package pairs the suite needs.
NEEDS=(
	"/usr/sbin/nginx:nginx-core"
	"/usr/lib/nginx/modules/ngx_http_image_filter_module.so:libnginx-mod-http-image-filter"
	"memcached:memcached"
	"redis-server:redis-server"
	"curl:curl"
	"cc:gcc"
	"/usr/include/stdio.h:libc6-dev"
)
have() {
	case "$1" in
	/*) [ -e "$1" ] ;;
	*) command -v "$1" >/dev/null 2>&1 ;;
	esac
}
missing_pkgs() {
	local pair
	for pair in "${NEEDS[@]}"; do
		have "${pair%%:*}" || printf '%s\n' "${pair#*:}"
	done
}

step "dependencies"
mapfile -t MISSING < <(missing_pkgs)
if [ "${#MISSING[@]}" -gt 0 ]; then
	if [ "${SKIP_INSTALL:-0}" = 1 ]; then
		fail "missing packages (SKIP_INSTALL=1): ${MISSING[*]}"
	fi
	install_packages "${MISSING[@]}"
	mapfile -t STILL < <(missing_pkgs)
	if [ "${#STILL[@]}" -gt 0 ]; then
		fail "still missing after install: ${STILL[*]}"
	fi
	note "packages" "installed ${MISSING[*]}"
else
	note "packages" "ok (nginx-core libnginx-mod-http-image-filter memcached redis-server curl gcc present)"
fi

# The differential oracle must be Debian's current nginx-core: its security
# updates change answers the fault suite records (the release tested here,
# 1.22.1-9+deb12u12, has nginx's max_headers, default 1000). An older one
# is upgraded.
oracle_current() {
	local d
	d=$(mktemp -d "$LOG_DIR/oracle.XXXXXX")
	printf 'events {}\nhttp { server { listen 127.0.0.1:1; max_headers 1000; } }\n' >"$d/nginx.conf"
	/usr/sbin/nginx -t -q -p "$d/" -c "$d/nginx.conf" -g "pid $d/nginx.pid; error_log $d/error.log;" >/dev/null 2>&1
}
if ! oracle_current; then
	if [ "${SKIP_INSTALL:-0}" = 1 ]; then
		fail "Debian's nginx-core is older than the suite's oracle (no max_headers): $(/usr/sbin/nginx -v 2>&1); upgrade it (apt-get install nginx-core) or run without SKIP_INSTALL"
	fi
	install_packages nginx-core
	oracle_current || fail "nginx-core after upgrade still lacks max_headers: $(/usr/sbin/nginx -v 2>&1); the fault suite's recorded answers need Debian's current security release"
	note "oracle" "nginx-core upgraded"
fi
echo "nginx: $(/usr/sbin/nginx -v 2>&1) ($(dpkg-query -W -f='${Version}' nginx-core 2>/dev/null || echo 'version unknown'))"

# ---------------------------------------------------------------- Go

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null 2>&1; then
	fail "Go not found: install Go 1.26 into /usr/local/go (https://go.dev/dl/) or put go on PATH"
fi
# Never let go.mod's version make Go download a toolchain (offline machines).
export GOTOOLCHAIN=local
GOVERSION=$(go env GOVERSION)
case "$GOVERSION" in
go1.2[6-9]* | go1.[3-9][0-9]* | go[2-9]*) ;;
*) fail "Go 1.26 or later needed, found $GOVERSION ($(command -v go))" ;;
esac
echo "go: $GOVERSION ($(command -v go))"
note "go" "$GOVERSION"

# ---------------------------------------------------------------- 1. gofmt

step "gofmt -l"
mapfile -t GOFILES < <(find . -name '*.go' -not -path './.git/*' -not -path '*/testdata/*' | sort)
if [ "${#GOFILES[@]}" -eq 0 ]; then
	fail "no Go files found under $ROOT"
fi
UNFORMATTED=$(gofmt -l "${GOFILES[@]}" 2>&1)
if [ -n "$UNFORMATTED" ]; then
	printf '%s\n' "$UNFORMATTED"
	note "gofmt" "FAIL: files need gofmt (listed above)"
	fail "gofmt -l listed files"
fi
note "gofmt" "ok (${#GOFILES[@]} files)"

# ---------------------------------------------------------------- 2. go vet

step "go vet $PKGS"
# shellcheck disable=SC2086 # PKGS may name several patterns
if ! go vet $PKGS; then
	note "go vet" "FAIL"
	fail "go vet failed"
fi
note "go vet" "ok"

# ---------------------------------------------------------------- 3. go test

step "go test -race -count=1 -v${*:+ $*} $PKGS"
TEST_LOG="$LOG_DIR/go-test.log"
start=$SECONDS
# -v so that tests can be counted; the run/pause/pass chatter is filtered out
# of the display (the full log is counted, failures and skips stay visible).
# shellcheck disable=SC2086
CGO_ENABLED=1 go test -race -count=1 -v "$@" $PKGS 2>&1 |
	tee "$TEST_LOG" |
	grep -a --line-buffered -vE '^=== (RUN|PAUSE|CONT|NAME)|^[[:space:]]*--- PASS: '
TEST_RC=${PIPESTATUS[0]}
TESTS_RAN=1
TESTS_PASSED=$(grep -acE '^[[:space:]]*--- PASS: ' "$TEST_LOG")
TESTS_FAILED=$(grep -acE '^[[:space:]]*--- FAIL: ' "$TEST_LOG")
TESTS_SKIPPED=$(grep -acE '^[[:space:]]*--- SKIP: ' "$TEST_LOG")
PKG_OK=$(grep -acE '^ok[[:space:]]' "$TEST_LOG")
PKG_FAIL=$(grep -acE '^FAIL[[:space:]]' "$TEST_LOG")
PKG_NONE=$(grep -acE '^\?[[:space:]].*\[no test files\]' "$TEST_LOG")
counts="$TESTS_PASSED passed, $TESTS_FAILED failed, $TESTS_SKIPPED skipped; packages: $PKG_OK ok, $PKG_FAIL failed, $PKG_NONE without tests; $((SECONDS - start))s"
if [ "$TEST_RC" -ne 0 ]; then
	if [ "$TESTS_FAILED" -eq 0 ]; then
		TESTS_FAILED=1 # a build failure or a panic outside any test
	fi
	note "go test" "FAIL ($counts)"
	grep -aE '^[[:space:]]*--- FAIL|^FAIL[[:space:]]' "$TEST_LOG" | sed 's/^/  /' | head -80 >&2
	fail "go test failed"
fi
if [ "$TESTS_SKIPPED" -gt 0 ]; then
	# skips are visible: the only expected ones are the allocation tests,
	# which the race detector makes meaningless and the next step reruns
	printf 'skipped:\n'
	grep -aE -A1 '^[[:space:]]*--- SKIP: ' "$TEST_LOG" | grep -av '^--$' | sed 's/^/  /'
fi
note "go test" "ok ($counts)"

# Allocation tests cannot run under the race detector (sync.Pool drops
# items on purpose there): run them once more without it.
step "go test -count=1 -run Allocs (no race detector) $PKGS"
# shellcheck disable=SC2086
if ! go test -count=1 -run 'Allocs' $PKGS >"$LOG_DIR/allocs.log" 2>&1; then
	cat "$LOG_DIR/allocs.log"
	note "allocs" "FAIL"
	fail "allocation tests failed"
fi
note "allocs" "ok"

# ---------------------------------------------------------------- 4. fuzz

if [ "$FUZZTIME" = "0" ] || [ "$FUZZTIME" = "0s" ]; then
	note "fuzz" "skipped (FUZZTIME=0)"
	finish 0
fi

step "fuzz pass: every target for $FUZZTIME"
LIST_LOG="$LOG_DIR/fuzz-list.log"
if ! go test -list '^Fuzz' ./... >"$LIST_LOG" 2>&1; then
	cat "$LIST_LOG"
	note "fuzz" "FAIL: could not list fuzz targets"
	fail "go test -list failed"
fi
# go test -list prints a package's names, then "ok <pkg> <time>".
declare -a TARGETS=()
pending=()
while IFS= read -r line; do
	case "$line" in
	Fuzz*) pending+=("$line") ;;
	ok*)
		pkg=$(printf '%s\n' "$line" | awk '{print $2}')
		for name in "${pending[@]}"; do
			TARGETS+=("$pkg $name")
		done
		pending=()
		;;
	esac
done <"$LIST_LOG"

# deadline_flake: the run failed with Go's own fuzz coordinator race at the
# end of -fuzztime (golang/go#75804, fixed in Go 1.27): a bare "context
# deadline exceeded", no failing input written, no panic or test error.
deadline_flake() {
	grep -aq 'context deadline exceeded' "$1" &&
		! grep -aqE 'Failing input written to|panic:|_test\.go:[0-9]+:' "$1"
}

declare -a FUZZ_FAILED=() FUZZ_FLAKED=()
start=$SECONDS
for target in "${TARGETS[@]}"; do
	pkg=${target% *}
	name=${target#* }
	printf -- '--- fuzz %s %s\n' "$pkg" "$name"
	ok=0
	for attempt in 1 2 3; do
		if go test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" -fuzzminimizetime=5s "$pkg" >"$LOG_DIR/fuzz.log" 2>&1; then
			ok=1
			break
		fi
		if ! deadline_flake "$LOG_DIR/fuzz.log"; then
			break
		fi
		printf 'attempt %d ended with the fuzz coordinator deadline race (golang/go#75804, no input found); running again\n' "$attempt"
	done
	if [ "$ok" = 1 ]; then
		tail -n 1 "$LOG_DIR/fuzz.log"
	elif deadline_flake "$LOG_DIR/fuzz.log"; then
		cat "$LOG_DIR/fuzz.log"
		FUZZ_FLAKED+=("$pkg.$name")
	else
		cat "$LOG_DIR/fuzz.log"
		FUZZ_FAILED+=("$pkg.$name")
	fi
done
if [ "${#FUZZ_FLAKED[@]}" -gt 0 ]; then
	printf 'fuzz: %s hit only the coordinator deadline race three times (golang/go#75804; no failing input was found)\n' "${FUZZ_FLAKED[*]}"
fi
if [ "${#FUZZ_FAILED[@]}" -gt 0 ]; then
	note "fuzz" "FAIL: ${FUZZ_FAILED[*]} (of ${#TARGETS[@]} targets; inputs saved under testdata/fuzz/)"
	TESTS_FAILED=$((TESTS_FAILED + ${#FUZZ_FAILED[@]}))
	fail "fuzz targets failed: ${FUZZ_FAILED[*]}"
fi
if [ "${#FUZZ_FLAKED[@]}" -gt 0 ]; then
	note "fuzz" "ok (${#TARGETS[@]} targets x $FUZZTIME, $((SECONDS - start))s; ${FUZZ_FLAKED[*]} only hit golang/go#75804)"
else
	note "fuzz" "ok (${#TARGETS[@]} targets x $FUZZTIME, $((SECONDS - start))s)"
fi
cd "$ROOT" || true
finish 0
