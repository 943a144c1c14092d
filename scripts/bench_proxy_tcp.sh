#!/usr/bin/env bash
# tcp mode's throughput and CPU per byte (docs/proxy.md, "tcp mode"): SIZE
# bytes one way from bench/proxy/tcpthru's client through each proxy to a
# sink, ROUNDS alternating rounds of weft's proxy with splice(2), weft's
# proxy copying (-splice=false) and Go net's io.Copy proxy (which splices
# on Linux). Prints one line per run: MB/s and the proxy's CPU s/GB.
#
#   scripts/bench_proxy_tcp.sh [ROUNDS [SIZE]]     # default 3 rounds of 2 GB
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
rounds=${1:-3}
size=${2:-$((2 << 30))}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/proxy-tcp.XXXXXX")
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
go build -o "$tmp/proxy" ./examples/proxy
(cd bench && go build -o "$tmp/tcpthru" ./proxy/tcpthru)

# start NAME CMD...: runs CMD in the background and sets addr to the
# address it prints ("listening on ADDR") and pid to its pid.
start() {
	local name=$1
	shift
	"$@" >"$tmp/$name.out" 2>&1 &
	pid=$!
	pids+=("$pid")
	for _ in $(seq 100); do
		addr=$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$tmp/$name.out" | head -1)
		[ -n "$addr" ] && return
		sleep 0.05
	done
	echo "$name did not start:" >&2
	cat "$tmp/$name.out" >&2
	exit 1
}

start sink "$tmp/tcpthru" -mode sink
sink=$addr
start splice "$tmp/proxy" -mode tcp -loops 1 -listen 127.0.0.1:0 -upstream "$sink" -health-interval 0
splice=$addr splicepid=$pid
start copy "$tmp/proxy" -mode tcp -loops 1 -listen 127.0.0.1:0 -upstream "$sink" -health-interval 0 -splice=false
copy=$addr copypid=$pid
start net env GOMAXPROCS=1 "$tmp/tcpthru" -mode netproxy -up "$sink"
net=$addr netpid=$pid

for r in $(seq "$rounds"); do
	for who in splice copy net; do
		a=${!who}
		p=${who}pid
		printf 'round %d %-7s %s\n' "$r" "$who" "$("$tmp/tcpthru" -mode client -addr "$a" -pid "${!p}" -size "$size")"
	done
done
