#!/usr/bin/env bash
# Runs the forms benchmark (bench/forms): what one operation costs in each
# form of asynchronous I/O that can be measured here: blocking I/O with a
# thread per waiting read, a poll(2) loop, raw epoll, raw io_uring, weft's
# loop in the reactor and proactor patterns, weft's fibers and Go's net as
# the plain-Go baseline, on a 64-byte ping-pong over Unix socket pairs
# (1 pair, 64 pairs, 1 active among 1,000 idle); and small UDP messages
# moved one system call each, with sendmmsg/recvmmsg, and through io_uring
# with and without registered sockets and buffers. Writes
# docs/forms-bench.md, its charts docs/img/forms-*.png, and the summary
# table of docs/forms-of-io.md.
#
#   scripts/bench_forms.sh                  # 4 rounds of 1 s runs, about 2.5 minutes on 2 cores
#   QUICK=1 scripts/bench_forms.sh          # a smoke run: 1 round of 300 ms runs, about 20 s
#   scripts/bench_forms.sh -rounds 6 -d 2s  # longer
#   scripts/bench_forms.sh -only rt-        # some scenarios only
#
# Other arguments go to the harness (bench/forms/harness; -h lists them).
# Run it on a quiet machine: every run reports the CPU other processes
# used meanwhile, and the report flags the runs they disturbed. KEEP=1
# keeps the binaries and every run's figures (forms-bench.json; harness
# -from regenerates the report from it). Linux only.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$PATH:/usr/local/go/bin"

cmd="scripts/bench_forms.sh${*:+ $*}"
args=("$@")
if [[ -n "${QUICK:-}" && "${QUICK}" != 0 ]]; then
	args=(-quick ${args[@]+"${args[@]}"})
	cmd="QUICK=1 $cmd"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/forms-bench.XXXXXX")
if [[ -z "${KEEP:-}" ]]; then
	trap 'rm -rf "$tmp"' EXIT
else
	echo "binaries and raw results in $tmp" >&2
fi

echo "building into $tmp" >&2
(
	cd bench
	go build -o "$tmp/formsbench" ./forms
	go build -o "$tmp/harness" ./forms/harness
)

rev=unknown
if command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1; then
	rev=$(git rev-parse --short HEAD)
	# Changes to weft itself (not to the benchmark, docs or scripts).
	if [[ -n "$(git status --porcelain -- . ':(exclude)bench' ':(exclude)docs' ':(exclude)scripts')" ]]; then
		rev="$rev with uncommitted changes in the working tree"
	fi
fi

"$tmp/harness" -bin "$tmp/formsbench" -md "$root/docs/forms-bench.md" -img "$root/docs/img" -img-ref img \
	-doc "$root/docs/forms-of-io.md" -raw "$tmp/forms-bench.json" -cmd "$cmd" -rev "$rev" ${args[@]+"${args[@]}"}
