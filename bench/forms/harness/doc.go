// Command harness runs the forms benchmark: every measurement is a
// process of its own of the formsbench program (bench/forms), which
// prints one JSON line; the harness alternates the implementations,
// collects the lines, and writes the report (docs/forms-bench.md), its
// charts (docs/img/forms-*.png) and the summary table of
// docs/forms-of-io.md (between its forms-bench markers). It builds
// nothing: scripts/bench_forms.sh builds formsbench and runs it.
//
//	harness -bin formsbench [-rounds 4] [-d 1s] [-quick] [-md docs/forms-bench.md] [-img docs/img] [-doc docs/forms-of-io.md]
//
// Scenarios: the ping-pong of 64-byte messages over Unix socket pairs
// with one pair (rt-1: a round trip's latency and cost), 64 pairs at once
// (rt-64: throughput and cost under load), and one active pair among
// 1,000 idle ones (idle-1000: what watching many descriptors costs), each
// on every implementation (thread, go-net, poll, epoll, uring, weft-loop,
// weft-uring, weft-fiber); and 32-message batches of 64-byte UDP
// datagrams (msgs-32) moved four ways (syscalls, mmsg, uring-batch,
// uring-reg).
// A round runs every scenario on every implementation, in turn; each
// round starts the turn one implementation later, so that none always
// runs first or last. The report gives medians over the rounds.
//
//	harness -from results.json [-md ...] [-img ...] [-doc ...]
//
// writes the report again from the results of an earlier run (-raw).
//
// Linux only: elsewhere it says so and exits with status 1.
package main
