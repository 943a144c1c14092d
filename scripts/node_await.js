#!/usr/bin/env node
// Node.js figures to read beside BenchmarkFuture_CreateSettleReact
// (future/bench_test.go), in Go benchmark format:
//
//   node scripts/node_await.js [iterations]     # default 5,000,000
//
// Each case runs in a loop timed with process.hrtime.bigint(), after a
// warm-up run of a tenth of the iterations so that V8 has optimised it:
//
//   Node_Await              `await p` of a promise resolved beforehand
//   Node_AwaitNew           `await new Promise(r => r(i))`
//   Node_CreateSettleReact  `new Promise(r => r(i)).then(fn)`, where fn,
//                           run as a microtask, starts the next iteration:
//                           the shape of the Go benchmark, chained
'use strict';

const n = Number(process.argv[2]) || 5_000_000;

async function await_(n) {
  const p = Promise.resolve(1);
  let sum = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sum += await p;
  const t = process.hrtime.bigint() - t0;
  if (sum !== n) throw new Error(`await: ${sum} of ${n}`);
  return t;
}

async function awaitNew(n) {
  let sum = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sum += await new Promise((r) => r(1));
  const t = process.hrtime.bigint() - t0;
  if (sum !== n) throw new Error(`awaitNew: ${sum} of ${n}`);
  return t;
}

function createSettleReact(n) {
  return new Promise((done) => {
    let ran = 0;
    let t0;
    const fn = (v) => {
      ran++;
      step();
      return v + 1;
    };
    function step() {
      if (ran === n) {
        done(process.hrtime.bigint() - t0);
        return;
      }
      new Promise((r) => r(ran)).then(fn);
    }
    t0 = process.hrtime.bigint();
    step();
  });
}

async function main() {
  const cases = [
    ['Await', await_],
    ['AwaitNew', awaitNew],
    ['CreateSettleReact', createSettleReact],
  ];
  for (const [name, fn] of cases) {
    await fn(Math.ceil(n / 10)); // warm-up
    const ns = Number(await fn(n));
    console.log(`BenchmarkNode_${name} \t${n}\t${(ns / n).toFixed(1)} ns/op`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
