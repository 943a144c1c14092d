// Command formsbench measures what one operation costs in each form of
// asynchronous I/O that can be measured on Linux, for docs/forms-of-io.md.
// One process makes one measurement and prints it as one JSON line on
// stdout; bench/forms/harness runs the matrix and writes the report, and
// scripts/bench_forms.sh builds both and runs it.
//
//	formsbench -impl IMPL -pairs N [-active K] [-size 64] [-warm 200ms] [-d 1s]
//
// measures the ping-pong: N pairs of connected Unix stream sockets
// (socketpair(2)), of which K (default N) are active: on an active pair
// one end writes -size bytes, the other reads them and writes them back,
// and the first reads the answer and sends the next. One operation is one
// such round trip (two writes and two reads). The other N-K pairs are
// idle: their server end is watched as the active ones are, and never
// becomes ready. The implementations serve both ends of every pair:
//
//   - thread: blocking I/O, a goroutine per end (so an OS thread per
//     waiting read), raw read(2) and write(2) on blocking sockets.
//
//   - go-net: Go's net package over the same sockets (net.FileConn), a
//     goroutine per end: the plain-Go baseline, on Go's own poller.
//
//   - poll: one goroutine, non-blocking sockets, a poll(2) loop over the
//     whole set.
//
//   - epoll: one goroutine, non-blocking sockets, epoll_wait(2) on a
//     level-triggered set.
//
//   - uring: one goroutine locked to its thread, a read posted on every
//     socket through io_uring, completions awaited with io_uring_enter.
//
//   - weft-loop: the reactor on weft: a loop (package loop), each socket
//     registered edge-triggered, handlers reading and writing until EAGAIN.
//
//   - weft-uring: the proactor on weft: a loop with an io_uring whose
//     eventfd is registered; its handler reaps completions, posts the next
//     operations and submits them, reaping again what completed inside the
//     submission. While operations are in flight the loop blocks its
//     thread (BlockHint), as package fs does.
//
//   - weft-fiber: fibers on weft (package fiber), a fiber per end, each
//     reading and writing a netpoll.Conn (a net.Conn) in blocking style;
//     the sockets come from netpoll.Listen and Dial on a Unix socket path,
//     the same kind of socket as socketpair's.
//
//     formsbench -impl IMPL -scenario msgs [-batch 32] [-size 64] [-d 1s]
//
// measures many small messages: one goroutine sends -batch datagrams of
// -size bytes over UDP on 127.0.0.1 and receives them, batch after batch;
// one operation is one message sent and received. IMPL is syscalls (a
// write(2) and a read(2) per message), mmsg (one sendmmsg(2) and one
// recvmmsg(2) per batch), uring-batch (a batch of writes and reads
// through io_uring, submitted and awaited in one io_uring_enter) or
// uring-reg (the same with both sockets and both buffers registered with
// the ring).
//
// The figures are over the window -d, after -warm of the same load:
// "ns_per_op" is the window over the operations completed in it (with
// one active pair, a round trip's latency; with many, the inverse of the
// throughput), "cpu_ns_per_op" the process's user+system CPU over the
// window (getrusage) per operation, and "others_cpu_s" the CPU the rest of
// the machine used meanwhile (/proc/stat), which says how noisy the run
// was. A run that has not ended 30 s after its window should have prints
// a result marked "hang" with every goroutine's stack on stderr and exits
// with status 2; any other failure prints a result with "error" set and
// exits with status 1.
//
// Linux only: elsewhere it says so and exits with status 1.
package main
