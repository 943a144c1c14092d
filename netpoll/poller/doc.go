// Package poller provides the readiness poller under weft's event loop:
// epoll on Linux, kqueue on macOS and the BSDs, behind one small interface.
//
// # Model
//
// A [Poller] belongs to one event loop and is driven by that loop's
// goroutine. The loop registers file descriptors with [Poller.Add], each
// with a [Handler], and calls [Poller.Wait] once per turn with the timeout
// of its next timer. Wait waits for readiness, then hands every readiness
// event to a dispatch function (normally one that queues the handler, since
// weft never runs a callback inside the call that made it due) and returns.
//
// How it waits: on Linux the epoll fd is handed to Go's own netpoller, so a
// waiting loop parks its goroutine instead of blocking a thread, a timeout
// is a timerfd in the set, and Wake readies the parked goroutine without a
// syscall. If that cannot be set up, or WEFT_POLLER_PARK=0 is set, or the
// poller was made by [NewBlocking], Wait blocks in epoll_pwait2 and Wake
// writes an eventfd. A parked poller told
// to block (Blocker.BlockHint, while io_uring operations are in flight)
// blocks in epoll_pwait2 too, and Wake fires the timerfd. kqueue blocks in
// kevent and Wake writes a pipe.
//
// Registration is edge-triggered and happens once per fd: an event means
// "something changed", and the consumer reads or writes until EAGAIN before
// it waits for the next one. There is no Modify.
//
// An fd number can be closed and reused between the moment the kernel
// reports an event and the moment it is dispatched. Wait drops such stale
// events: Add and Remove bump a per-fd generation, and an event whose
// generation changed after it was fetched never reaches a handler.
//
// # Goroutines
//
// Add, Remove and Wait are for the loop goroutine only, and Close for the
// loop goroutine or after the loop has stopped. Wake is the only method
// other goroutines may call: it makes the loop's current or next Wait
// return, and it is safe even while Close runs.
//
// # Costs
//
// Add and Remove are one syscall each (on kqueue an fd watched in both
// directions takes two change records, still in one call). Wait is one
// syscall plus an index lookup per event, and allocates nothing. Wake is an
// atomic load when a wake-up is already pending; otherwise it moves a
// deadline (parked epoll) or makes one write syscall, which the loop pays
// back with one read. A burst of Wakes from many goroutines therefore costs
// at most one write and one read per loop turn. docs/poller.md has measured
// figures.
//
// Timeouts have nanosecond precision: timerfd when parked, epoll_pwait2 on
// Linux 5.11 and later, kevent's timespec on kqueue; older Linux kernels
// fall back to epoll_wait, whose timeouts are rounded up to the next
// millisecond.
//
// Errors from the kernel are *os.SyscallError values, so errors.Is works
// with the errno and with fs.ErrExist (Add of a registered fd) and
// fs.ErrNotExist (Remove of an unknown fd). After Close every method returns
// an error matching os.ErrClosed. On systems without epoll or kqueue, New
// returns an error matching errors.ErrUnsupported.
package poller
