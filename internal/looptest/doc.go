// Package looptest has the helpers that tests of packages built on the loop
// core share: a loop that runs for the length of a test, a way to run a
// function on it and wait, a replayable seed and a bounded receive.
//
// Tests only: Start fails the test through testing.TB, and nothing here is
// meant for production code. Deterministic simulation for users is package
// simtest.
package looptest
