#!/usr/bin/env bash
# Runs the benchmarks of the loop, timers, offload pool, poller, futures,
# fibers, sync and goroutine identity, each beside its plain-Go baseline
# (the futures also beside Node, scripts/node_await.js, when node is
# installed), then compares them with benchstat (one column per
# implementation). The machine is shared and noisy: -count=6 runs alternate
# between benchmarks, and benchstat reports medians with their spread.
#
#   scripts/bench.sh [outdir]     # default: bench-out/
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:$(go env GOPATH)/bin"
out=${1:-bench-out}
mkdir -p "$out"
command -v benchstat >/dev/null || go install golang.org/x/perf/cmd/benchstat@latest
count=${COUNT:-6}

echo "== loop: Post, microtasks, AfterFunc+Stop, wake-ups"
go test -run '^$' -bench 'Loop_(Post|Microtask|AfterFuncStop|Now)' -benchmem -count="$count" ./loop/ | tee "$out/loop.txt"
go test -run '^$' -bench 'Loop_Wake' -benchtime=3000x -count="$count" ./loop/ | tee "$out/wake.txt"
echo "== timer queue: heap, wheel, time.AfterFunc"
go test -run '^$' -bench . -benchmem -count="$count" ./timer/ | tee "$out/timer.txt"
echo "== offload pool: weft, go per task, fixed channel workers"
go test -run '^$' -bench . -benchmem -count="$count" ./internal/offload/ | tee "$out/offload.txt"
echo "== poller"
go test -run '^$' -bench . -benchmem -count="$count" ./netpoll/poller/ | tee "$out/poller.txt"
echo "== future: create+settle+react, All of 1,000, a chain of 1,000, remote settle; Node beside"
# One round is every future benchmark once, then the Node script once, so
# that weft, the channel baselines and Node alternate through the noise.
go test -c -o "$out/future.test" ./future/
: >"$out/future.txt"
: >"$out/node.txt"
for _ in $(seq "$count"); do
	"$out/future.test" -test.run '^$' -test.bench 'Future_' -test.benchmem -test.count=1 | tee -a "$out/future.txt"
	if command -v node >/dev/null; then
		node scripts/node_await.js | tee -a "$out/node.txt"
	fi
done

echo "== fiber: coroutine switch, fiber switch, spawn, parked memory; goroutine baselines beside"
# One round is every fiber benchmark once, then BenchmarkFiber_Parked once
# more per implementation, each in a fresh process with -benchtime=1x: the
# first round in a process also counts the goroutine descriptors, which the
# runtime keeps and reuses afterwards (docs/fiber.md).
go test -c -o "$out/fiber.test" ./fiber/
: >"$out/fiber.txt"
: >"$out/fiber-fresh.txt"
for _ in $(seq "$count"); do
	"$out/fiber.test" -test.run '^$' -test.bench 'Coroutine_|Fiber_' -test.benchmem -test.count=1 | tee -a "$out/fiber.txt"
	for impl in weft goroutine; do
		"$out/fiber.test" -test.run '^$' -test.bench "Fiber_Parked/impl=$impl\$" -test.benchtime=1x -test.count=1 | tee -a "$out/fiber-fresh.txt"
	done
done
echo "== sync: fiber primitives beside their goroutine counterparts"
go test -c -o "$out/sync.test" ./sync/
: >"$out/sync.txt"
for _ in $(seq "$count"); do
	"$out/sync.test" -test.run '^$' -test.bench 'Mutex_|Chan_' -test.benchmem -test.count=1 | tee -a "$out/sync.txt"
done
echo "== goroutine identity: weft, runtime.Stack, gettid"
go test -run '^$' -bench 'Current' -count="$count" ./internal/gid/ | tee "$out/gid.txt"
echo
echo "== summaries"
benchstat -col /impl "$out/loop.txt"
benchstat -col /impl "$out/wake.txt"
if grep -q 'impl=' "$out/timer.txt"; then
	benchstat -col /impl "$out/timer.txt"
else
	benchstat "$out/timer.txt"
fi
benchstat -col /impl "$out/offload.txt"
benchstat "$out/poller.txt"
benchstat -col /impl "$out/future.txt"
if [ -s "$out/node.txt" ]; then
	benchstat "$out/node.txt"
fi
for b in Coroutine_Switch Fiber_Switch Fiber_Spawn Fiber_Parked; do
	benchstat -col /impl -filter ".name:$b" "$out/fiber.txt"
done
benchstat -col /part -filter ".name:Fiber_SwitchParts" "$out/fiber.txt"
benchstat -col /impl "$out/fiber-fresh.txt"
benchstat -col /impl "$out/sync.txt"
benchstat "$out/gid.txt"
