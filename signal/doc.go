// Package signal delivers Unix signals to weft loops as ordinary loop
// events: a callback run as a task of the loop, or a stream a fiber
// receives from. Nothing here runs inside an asynchronous signal handler.
//
//	sub, err := signal.Subscribe(fiber.Loop(ctx), unix.SIGINT, unix.SIGTERM)
//	if err != nil {
//		return err
//	}
//	defer sub.Stop()
//	ev, err := sub.Recv(ctx) // parks the fiber, not the loop
//
// Notify(l, f, sigs...) is the callback face: f(ev) runs on l as a task.
// Subscribe(l, sigs...) is the fiber face: Recv parks the calling fiber of
// l until an event comes. A signal may have any number of subscribers, on
// one loop or several; each gets every event. Stop unsubscribes.
//
// # How a signal reaches a loop
//
// The package relays os/signal: for every signal with a subscriber it
// keeps one channel, registered with os/signal.Notify, and one goroutine
// that receives from it and Posts to the subscribed loops (a Post is the
// one door into a loop, so delivery is a task like any other). It does not
// use signalfd: a signalfd sees only signals blocked in every thread, and
// the Go runtime neither blocks them nor lets a program block them in its
// threads, so signalfd and the runtime's own handler fight over each
// signal. os/signal is the way Go supports.
//
// When the last subscriber of a signal stops, the package calls
// os/signal.Stop on its channel and its goroutine exits: the signal's
// disposition goes back to what it was (the default, unless other code of
// the process still has it with os/signal.Notify), and no goroutine is
// left. A loop that closes stops the subscriptions it still has.
//
// # Coalescing
//
// A burst of one signal is merged, never lost entirely. The kernel already
// merges a standard signal that arrives while the same one is pending, and
// so does the Go runtime; this package keeps each signal's channel at
// capacity one (a signal dropped by os/signal because the channel is full
// is merged with the one the channel holds, never a different signal's
// loss), and a subscriber has at most one delivery on its way to its loop:
// deliveries that come while it is on its way add to its Count. So an
// Event is one or more deliveries of one signal, Count says how many this
// package saw (a lower bound of how many were sent), and after a burst at
// least one Event follows its last signal. A stream keeps at most one
// pending Event per signal: a fiber that does not Recv for a while finds
// the merged Count, not a backlog.
//
// # Who may call what
//
// Notify, Subscribe and Stop are safe from any goroutine. Recv is for the
// fibers of the subscription's loop. A callback runs on the loop, as a
// task; once Stop returns no new call of it starts. A subscription is a
// reason for its loop to stay awake (the fiber runtime does not report a
// deadlock while one exists: a signal may still come).
//
// # Limits
//
// SIGKILL and SIGSTOP cannot be caught and are refused, as are numbers
// that are not signals. Synchronous signals (SIGSEGV, SIGBUS, SIGFPE) are
// delivered only when sent by kill, as os/signal documents. Subscribing to
// SIGINT or SIGTERM replaces their default action (ending the process)
// until the last subscriber stops; SIGPIPE subscribed this way also turns
// off the runtime's exit on a broken standard output. Each distinct signal
// with subscribers costs one goroutine (about 8 KiB); a delivery costs a
// Post per subscribed loop and one task.
//
// The package exists on Linux, macOS, FreeBSD, NetBSD and OpenBSD;
// elsewhere it is empty.
package signal
