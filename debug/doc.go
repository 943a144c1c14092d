// Package debug shows what weft's loops are doing: a dump of every loop
// and its fibers (Dump, and InstallSIGQUIT to print one on a signal), and
// their metrics as a struct (Read, ReadAll), through expvar (the variable
// "weft", published when this package is imported) and as Prometheus text
// (WritePrometheus).
//
// The aids that live in the lower layers are switched on per loop: debug
// mode (loop.WithDebug, or WEFT_DEBUG=1 in the environment) and the stall
// detector (loop.WithStall). docs/debugging.md shows how to use all of
// them, with runtime/trace and pprof.
//
// # Who may call what
//
// Everything here is safe from any goroutine, but meant for a goroutine
// of its own (an HTTP handler, a signal handler): what belongs to a loop
// (its fibers) is read on the loop, by a task that Dump and Read post and
// wait for, at most AnswerWithin. A loop that does not answer in time is
// stalled (the dump then shows the stall detector's report, if it made
// one), not running yet, or stopping; its fiber counts are unknown, -1.
// Called from a loop, they answer for that loop at once but wait for the
// others, blocking the calling loop meanwhile.
//
// # What it costs
//
// Nothing until called: the registry of loops is updated once per loop
// made and closed, and the loops' counters are the ones loop.Stats always
// keeps. A call posts one task per loop and walks each loop's fibers.
package debug
