//go:build linux

package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/weftio/weft/examples/forms/internal/formtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	out := formtest.Run(t, run)
	formtest.InOrder(t, out,
		`^64 datagrams of 64 bytes over UDP on 127.0.0.1, three ways:$`,
		`^  write\(2\) and read\(2\) per message: 128 system calls, 64 of 64 messages received intact$`,
		`^  sendmmsg\(2\) and recvmmsg\(2\): 2 system calls, 64 of 64 messages received intact$`,
		`^  io_uring, registered sockets and buffers: 1 system call, 64 of 64 messages received intact$`)
}

// intact must catch a lost or repeated message, or the test above proves
// nothing about delivery.
func TestIntact(t *testing.T) {
	in := messages()
	if n := intact(in); n != msgs {
		t.Fatalf("intact(all) = %d", n)
	}
	copy(in[size:2*size], in[:size]) // message 1 lost, 0 twice
	if n := intact(in); n != msgs-1 {
		t.Errorf("intact with a repeat = %d, want %d", n, msgs-1)
	}
	in[5*size+3] ^= 0xff // message 5 torn
	if n := intact(in); n != msgs-2 {
		t.Errorf("intact with a torn message = %d, want %d", n, msgs-2)
	}
}

func Example() {
	if err := run(os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// 64 datagrams of 64 bytes over UDP on 127.0.0.1, three ways:
	//   write(2) and read(2) per message: 128 system calls, 64 of 64 messages received intact
	//   sendmmsg(2) and recvmmsg(2): 2 system calls, 64 of 64 messages received intact
	//   io_uring, registered sockets and buffers: 1 system call, 64 of 64 messages received intact
}
