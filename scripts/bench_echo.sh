#!/usr/bin/env bash
# Runs the echo benchmark of netpoll (issue "netpoll sockets"): weft's
# callback face and fiber face against package net and gnet, each server a
# process of its own loaded by a client process, and writes
# docs/echo-bench.md and its charts docs/img/echo-*.png.
#
#   scripts/bench_echo.sh            # 3 rounds, about 10 minutes on 2 cores
#   scripts/bench_echo.sh -quick     # a smoke run, about 2 minutes
#   scripts/bench_echo.sh -rounds 5 -d 10s
#
# Arguments go to the harness (bench/echo/harness; -h lists them). The
# binaries are built into a temporary directory from the bench module
# (bench/go.mod, which pulls gnet and gonum/plot through the module proxy;
# weft's own go.mod does not depend on them). KEEP=1 keeps that directory,
# with every run's figures in echo-bench.json (harness -from regenerates
# the report from it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$PATH:/usr/local/go/bin"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/echo-bench.XXXXXX")
if [[ -z "${KEEP:-}" ]]; then
	trap 'rm -rf "$tmp"' EXIT
else
	echo "binaries and raw results in $tmp" >&2
fi

echo "building into $tmp" >&2
(
	cd bench
	go build -o "$tmp/server" ./echo/server
	go build -o "$tmp/client" ./echo/client
	go build -o "$tmp/harness" ./echo/harness
)

# The idle scenario holds 10,000 connections: each process needs 10,000
# descriptors (Go raises its soft limit to the hard one by itself).
hard=$(ulimit -Hn)
if [[ "$hard" != unlimited && "$hard" -lt 10100 ]]; then
	echo "warning: the open-file hard limit is $hard; the 10,000-connection scenarios need 10,100" >&2
fi

rev=unknown
if command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1; then
	rev=$(git rev-parse --short HEAD)
	# Changes to weft itself (not to the benchmark, docs or scripts).
	if [[ -n "$(git status --porcelain -- . ':(exclude)bench' ':(exclude)docs' ':(exclude)scripts')" ]]; then
		rev="$rev with uncommitted changes in the working tree"
	fi
fi

cmd="scripts/bench_echo.sh${*:+ $*}"
"$tmp/harness" -bin "$tmp" -md "$root/docs/echo-bench.md" -img "$root/docs/img" -img-ref img \
	-raw "$tmp/echo-bench.json" -cmd "$cmd" -rev "$rev" "$@"
