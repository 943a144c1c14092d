#!/usr/bin/env bash
# Runs the reverse-proxy benchmark of issue 7: wrk against GET /hello
# through weft's examples/proxy (one loop), nginx (one worker) and Go's
# httputil.ReverseProxy (GOMAXPROCS=1), alternating, and writes
# docs/proxy-bench.md.
#
#   scripts/bench_proxy.sh                  # 3 rounds of 5 s windows at 50 and 500 connections
#   scripts/bench_proxy.sh -rounds 5 -d 10s
#
# Installs nginx and wrk (Debian packages) if they are missing; nginx runs
# from its own config in a temporary directory, not as a system service.
# Other arguments go to the harness (bench/proxy/harness; -h lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$PATH:/usr/local/go/bin:/usr/sbin"

if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
	apt-get update >/dev/null
	apt-get install -y nginx wrk >/dev/null
fi
# The Debian package starts a system nginx; the benchmark does not use it.
if command -v systemctl >/dev/null; then systemctl stop nginx 2>/dev/null || true; fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/proxy-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/proxy" ./examples/proxy
(
	cd bench
	go build -o "$tmp/revproxy" ./proxy/revproxy
	go build -o "$tmp/upstream" ./proxy/upstream
	go build -o "$tmp/harness" ./proxy/harness
)
cmd="scripts/bench_proxy.sh${*:+ $*}"
"$tmp/harness" -bin "$tmp" -md "$root/docs/proxy-bench.md" -cmd "$cmd" "$@"
echo "wrote docs/proxy-bench.md" >&2
