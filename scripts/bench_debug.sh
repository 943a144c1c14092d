#!/usr/bin/env bash
# The cost of weft's debugging hooks (docs/debugging.md) when they are
# switched off: the benchmarks of future/ and fiber/ built with the hooks
# (the default build, no loop in debug mode) against a build without them
# (-tags weft_nodebug, which compiles every hook site away), then the same
# with WEFT_DEBUG=1 for the cost of debug mode switched on (its stall
# detector reports the benchmarks that hold a loop for 50 ms, on stderr).
# The builds alternate benchmark by benchmark (-count 1 each, COUNT
# rounds) so that the noise of a shared machine falls on both; benchstat
# compares them. Timing cannot resolve a difference of 1 or 2 % there, so
# the script also counts the instructions an operation costs in each build
# with perf stat (when perf is installed): user-space instructions of a
# run of N2 operations minus a run of N1, divided by N2-N1, on one P
# (GOMAXPROCS=1: no idle P spinning) without GC (GOGC=off), which repeats
# to a few instructions. The figures are in docs/benchmarks.md, "Debug
# hooks: cost when off".
#
#   scripts/bench_debug.sh [outdir]    # default: bench-out/debug
#   COUNT=10 ON_COUNT=3 scripts/bench_debug.sh
#   COUNT=0 ON_COUNT=0 scripts/bench_debug.sh   # instruction counts only (~2 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:$(go env GOPATH)/bin"
out=${1:-bench-out/debug}
count=${COUNT:-10}
on_count=${ON_COUNT:-3} # rounds with WEFT_DEBUG=1; 0 skips them
mkdir -p "$out"
out=$(cd "$out" && pwd)
command -v benchstat >/dev/null || go install golang.org/x/perf/cmd/benchstat@latest

for pkg in future fiber; do
	go test -c -o "$out/$pkg.hooks.test" "./$pkg/"
	go test -c -tags weft_nodebug -o "$out/$pkg.nodebug.test" "./$pkg/"
done

# Each benchmark (all its implementations, the plain-Go baselines
# included: they run no weft code and so measure the noise) runs once per
# build and round, the two builds back to back, in ABBA order, so that a
# burst of load on the shared machine falls on both.
benches=(
	future:Future_CreateSettleReact future:Future_Alloc future:Future_All1000
	future:Future_Chain1000 future:Future_SettleRemote
	fiber:Coroutine_Switch fiber:Fiber_Switch fiber:Fiber_SwitchParts
	fiber:Fiber_Spawn fiber:Fiber_Parked
)
one() { # one <build> <pkg> <bench> <file> [env...]
	local build=$1 pkg=$2 b=$3 file=$4
	shift 4
	(cd "$pkg" && env "$@" "$out/$pkg.$build.test" -test.run '^$' -test.bench "^Benchmark$b\$" -test.benchmem -test.count 1) >>"$file"
}

: >"$out/nodebug.txt"
: >"$out/hooks.txt"
for i in $(seq "$count"); do
	echo "== round $i of $count: weft_nodebug and hooks off, alternating"
	for pb in "${benches[@]}"; do
		pkg=${pb%%:*} b=${pb#*:}
		if [ $((i % 2)) -eq 1 ]; then
			one nodebug "$pkg" "$b" "$out/nodebug.txt" WEFT_DEBUG=0
			one hooks "$pkg" "$b" "$out/hooks.txt" WEFT_DEBUG=0
		else
			one hooks "$pkg" "$b" "$out/hooks.txt" WEFT_DEBUG=0
			one nodebug "$pkg" "$b" "$out/nodebug.txt" WEFT_DEBUG=0
		fi
	done
done
if [ "$count" -gt 0 ]; then
	benchstat nodebug="$out/nodebug.txt" hooks-off="$out/hooks.txt" | tee "$out/off.benchstat"
fi

# Instructions per operation: weft's benchmarks only (the baselines run the
# same code in both builds).
insn=(
	"fiber Fiber_Switch/impl=weft 1000000 3000000"
	"fiber Fiber_Switch/impl=weft-pingpong 500000 1500000"
	"fiber Fiber_Switch/impl=weft-wake 300000 900000"
	"fiber Fiber_SwitchParts/part=turn 3000000 9000000"
	"fiber Fiber_Spawn/n=1/impl=weft 300000 900000"
	"fiber Fiber_Spawn/n=64/impl=weft 500000 1500000"
	"fiber Fiber_Spawn/n=64/impl=weft-cancellable 500000 1500000"
	"fiber Fiber_Spawn/n=64/impl=weft-group 500000 1500000"
	"future Future_CreateSettleReact/impl=weft 1000000 3000000"
	"future Future_CreateSettleReact/impl=weft-onsettled 1000000 3000000"
	"future Future_Chain1000/impl=weft 1000 3000"
	"future Future_All1000/impl=weft 1000 3000"
	"future Future_SettleRemote/impl=weft 500000 1500000"
)
count_insn() { # count_insn <build> <pkg> <bench> <n>: user-space instructions of one run
	(cd "$2" && GOMAXPROCS=1 GOGC=off perf stat -x, -e instructions:u "$out/$2.$1.test" -test.run '^$' \
		-test.bench "^Benchmark$3\$" -test.benchtime "$4x" -test.count 1 2>&1 >/dev/null | awk -F, '/instructions/ {print $1}')
}
if command -v perf >/dev/null && count_insn hooks fiber Fiber_Switch/impl=weft 1000 | grep -q '^[0-9]'; then
	{
		printf '%-45s %12s %12s %8s\n' benchmark nodebug hooks-off delta
		for spec in "${insn[@]}"; do
			read -r pkg b n1 n2 <<<"$spec"
			per() { echo "($(count_insn "$1" "$pkg" "$b" "$n2") - $(count_insn "$1" "$pkg" "$b" "$n1")) / ($n2 - $n1)" | bc -l; }
			a=$(per nodebug) h=$(per hooks)
			printf '%-45s %12.1f %12.1f %+7.2f%%\n' "$b" "$a" "$h" "$(echo "($h - $a) * 100 / $a" | bc -l)"
		done
	} | tee "$out/insn.txt"
else
	echo "perf stat cannot count instructions here: no instruction counts"
fi

if [ "$on_count" -gt 0 ]; then
	: >"$out/on.txt"
	for i in $(seq "$on_count"); do
		echo "== round $i of $on_count: WEFT_DEBUG=1"
		for pb in "${benches[@]}"; do
			one hooks "${pb%%:*}" "${pb#*:}" "$out/on.txt" WEFT_DEBUG=1
		done
	done
	benchstat hooks-off="$out/hooks.txt" debug-on="$out/on.txt" | tee "$out/on.benchstat"
fi
