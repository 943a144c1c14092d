// Command registered shows registered I/O for many small messages: when
// messages are small, the cost is in the system call and the kernel's
// per-call set-up (looking up the descriptor, pinning the buffer), not in
// the bytes, so the form pays those once for many messages. Windows calls
// it Registered I/O (RIO); on Linux the ways to it are batching system
// calls (sendmmsg(2), recvmmsg(2)) and io_uring with registered files and
// buffers.
//
// It sends 64 datagrams of 64 bytes over UDP on 127.0.0.1 and receives
// them three ways: a write(2) and a read(2) per message; one sendmmsg(2)
// and one recvmmsg(2); and io_uring, with both sockets and both buffers
// registered, every operation submitted in one io_uring_enter. It prints
// how many system calls each took and checks every message. What each
// costs per message is measured by the forms benchmark (bench/forms,
// scripts/bench_forms.sh), not here.
//
//	go run ./examples/forms/registered
//
// docs/forms-of-io.md, "Registered I/O for many small messages", has the
// figures and says why weft does not do this for sockets yet. Linux only.
package main
