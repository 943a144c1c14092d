#!/usr/bin/env bash
# Runs the file I/O benchmark of package fs: weft's io_uring and worker-pool
# back-ends (each one loop, N fibers) against os.File (N goroutines) and
# fio (ioengine=io_uring, iodepth N), reading a 1 GiB file with O_DIRECT,
# from a cold and a warm page cache, and sequentially; writes
# docs/fs-bench.md and its charts docs/img/fs-*.png.
#
#   scripts/bench_fs.sh                    # 5 rounds of 5 s runs, about 15 minutes on 2 cores
#   QUICK=1 scripts/bench_fs.sh            # a smoke run: 1 round of 1 s runs, about 1 minute
#   scripts/bench_fs.sh -dir /mnt/ssd/fsb  # the test file elsewhere (default $HOME/.cache/weft-fsbench)
#   scripts/bench_fs.sh -rounds 3 -d 10s -only direct
#
# Other arguments go to the harness (bench/fs/harness; -h lists them).
# The test file must be on a disk, not tmpfs: the script checks. It is
# written once (random data, fsynced) and reused while its size and layout
# are right. The benchmark drops the file's pages from the page cache with
# posix_fadvise, never with drop_caches, and reads it whole into the cache
# for the warm runs: it needs free memory of the file's size. fio must be
# installed (or leave it out: -impls weft-uring,weft-pool,os). KEEP=1
# keeps the binaries and every run's figures (fs-bench.json; harness -from
# regenerates the report from it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$PATH:/usr/local/go/bin"

cmd="scripts/bench_fs.sh${*:+ $*}"
dir="$HOME/.cache/weft-fsbench"
args=()
while [[ $# -gt 0 ]]; do
	case "$1" in
	-dir) dir="$2"; shift 2 ;;
	-dir=*) dir="${1#-dir=}"; shift ;;
	*) args+=("$1"); shift ;;
	esac
done
if [[ -n "${QUICK:-}" && "${QUICK}" != 0 ]]; then
	args=(-quick ${args[@]+"${args[@]}"})
fi

mkdir -p "$dir"
fstype=$(stat -f -c %T "$dir")
if [[ "$fstype" == tmpfs || "$fstype" == ramfs ]]; then
	echo "$dir is on $fstype: the benchmark needs a directory on a disk (-dir DIR)" >&2
	exit 1
fi
file="$dir/data.1g"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fs-bench.XXXXXX")
if [[ -z "${KEEP:-}" ]]; then
	trap 'rm -rf "$tmp"' EXIT
else
	echo "binaries and raw results in $tmp" >&2
fi

echo "building into $tmp" >&2
(
	cd bench
	go build -o "$tmp/fsbench" ./fs
	go build -o "$tmp/harness" ./fs/harness
)

"$tmp/fsbench" -prepare -file "$file" -size $((1 << 30))

rev=unknown
if command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1; then
	rev=$(git rev-parse --short HEAD)
	# Changes to weft itself (not to the benchmark, docs or scripts).
	if [[ -n "$(git status --porcelain -- . ':(exclude)bench' ':(exclude)docs' ':(exclude)scripts')" ]]; then
		rev="$rev with uncommitted changes in the working tree"
	fi
fi

if [[ -n "${QUICK:-}" && "${QUICK}" != 0 ]]; then
	cmd="QUICK=1 $cmd"
fi
"$tmp/harness" -bin "$tmp/fsbench" -file "$file" -md "$root/docs/fs-bench.md" -img "$root/docs/img" -img-ref img \
	-raw "$tmp/fs-bench.json" -cmd "$cmd" -rev "$rev" ${args[@]+"${args[@]}"}
