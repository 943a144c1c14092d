// Package proc measures a child process for the benchmark harnesses:
// its wall time from start to exit, its CPU time, and its peak resident
// memory ([Measure]).
//
// The peak needs care on Linux. Go starts a child with vfork (the child
// shares the parent's memory until it execs), and exec keeps, as the
// process's high-water mark, that of the memory it leaves: the parent's.
// So wait4's maxrss of a child Go started is the larger of the child's
// own peak and the parent's, and a small child of a large parent is
// reported as large as its parent (a /bin/true started from a program
// holding 200 MB reports 200 MB). Measure knows the floor, its own
// VmHWM, and falls back to the child's VmHWM sampled from /proc where
// maxrss is not above it; a harness that needs exact figures for small
// children runs them from a small launcher, as bench/crawler does, whose
// own peak (about 2 MiB) is below any Go program's.
//
// It imports nothing but the standard library and starts one goroutine
// per Measure, which ends before Measure returns.
package proc
