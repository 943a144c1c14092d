#!/usr/bin/env bash
# Runs the crawler benchmark of issue 8: weft's examples/crawler against a
# crawler written with gocolly/colly v2 (bench/crawler/colly), crawling the
# same 2,000-page demo site (examples/crawler/demosite, served by
# bench/crawler/site in a process of its own) at -concurrency 64 with the
# same settings, alternating, every crawl checked against the pages a
# correct crawler fetches; writes docs/crawler-bench.md and its chart
# docs/img/crawler-bench.png.
#
#   scripts/bench_crawler.sh                  # 7 rounds, about 2 minutes on 2 cores
#   QUICK=1 scripts/bench_crawler.sh          # a smoke run: 1 round of a 300-page site, under a minute
#   scripts/bench_crawler.sh -rounds 11 -pages 2000,10000
#
# Other arguments go to the harness (bench/crawler/harness; -h lists
# them). The harness builds weft's crawler, the colly crawler, the site
# server and the launcher that measures each crawl into a temporary
# directory with the go command (the bench module, bench/go.mod, pulls
# colly and gonum/plot through the module proxy; weft's own go.mod does not
# depend on them). KEEP=1 keeps every run's figures in a file it names
# (harness -from regenerates the report from it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$PATH:/usr/local/go/bin"

cmd="scripts/bench_crawler.sh${*:+ $*}"
args=("$@")
if [[ -n "${QUICK:-}" && "${QUICK}" != 0 ]]; then
	args=(-quick ${args[@]+"${args[@]}"})
	cmd="QUICK=1 $cmd"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/crawler-bench.XXXXXX")
raw=()
if [[ -z "${KEEP:-}" ]]; then
	trap 'rm -rf "$tmp"' EXIT
else
	raw=(-raw "$tmp/crawler-bench.json")
	echo "raw results in $tmp/crawler-bench.json" >&2
fi

(cd bench && go build -o "$tmp/harness" ./crawler/harness)

rev=unknown
if command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1; then
	rev=$(git rev-parse --short HEAD)
	# Changes to weft itself (not to the benchmark, docs or scripts).
	if [[ -n "$(git status --porcelain -- . ':(exclude)bench' ':(exclude)docs' ':(exclude)scripts')" ]]; then
		rev="$rev with uncommitted changes in the working tree"
	fi
fi

"$tmp/harness" -root "$root" -md "$root/docs/crawler-bench.md" -img "$root/docs/img" -img-ref img \
	-cmd "$cmd" -rev "$rev" ${raw[@]+"${raw[@]}"} ${args[@]+"${args[@]}"}
