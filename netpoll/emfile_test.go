//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll"
)

// Accept when the process is out of file descriptors: a child process
// (this test binary, running TestEMFILEChild) serves with RLIMIT_NOFILE
// lowered to emfileLimit, and the parent opens more connections than it
// can take.

const (
	emfileEnv   = "WEFT_NETPOLL_EMFILE_CHILD"
	emfileLimit = 64
	emfileConns = 100 // more than the child has fds for
)

// TestEMFILEChild is the child's side of TestEMFILE; it does nothing
// unless the environment says it is the child. It lowers RLIMIT_NOFILE,
// starts a fiber-face and a callback-face echo server on 127.0.0.1:0,
// prints "fiber ADDR" and "callback ADDR" on stdout and serves until its
// stdin closes.
func TestEMFILEChild(t *testing.T) {
	fdtest.Check(t)
	if os.Getenv(emfileEnv) != "1" {
		return
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	lim.Cur = emfileLimit
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}

	g, err := loop.NewGroup(1)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	srv, err := netpoll.Serve(g, "tcp", "127.0.0.1:0", evEcho{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan net.Addr, 1)
	ran := make(chan error, 1)
	go func() {
		ran <- fiber.Run(ctx, func(ctx context.Context) error {
			ln, err := netpoll.Listen(ctx, "tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			defer ln.Close()
			addrc <- ln.Addr()
			for {
				c, err := ln.AcceptConn()
				if err != nil {
					if ctx.Err() != nil {
						return nil
					}
					return err
				}
				spawn(ctx, func(ctx context.Context) error {
					defer c.Close()
					if err := echo(c, 1024); err != nil && ctx.Err() == nil {
						return err
					}
					return nil
				})
			}
		})
	}()
	select {
	case a := <-addrc:
		fmt.Printf("fiber %s\ncallback %s\n", a, srv.Addr())
	case err := <-ran:
		t.Fatalf("fiber server: %v", err)
	}
	fmt.Fprintf(os.Stderr, "child: %d fds open of %d once serving\n", fdtest.Count(t), emfileLimit)

	io.Copy(io.Discard, os.Stdin) // until the parent closes it
	cancel()
	if err := <-ran; err != nil {
		t.Errorf("fiber server: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Server.Close: %v", err)
	}
	if err := g.Close(); err != nil {
		t.Errorf("group Close: %v", err)
	}
}

// emfileCPU returns the CPU time (user + system) process pid has used,
// from /proc/<pid>/stat.
func emfileCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // from field 3, the state
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("parsing %q: %v, %v", s, err1, err2)
	}
	const clockTicks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// The child runs out of fds accepting: the connections it accepted still
// echo, it does not spin while out of fds (its CPU time stays low), and
// as connections close the waiting ones are accepted (the back-off
// retries) and echo too. Both faces, then the child exits cleanly when
// its stdin closes.
func TestEMFILE(t *testing.T) {
	if os.Getenv(emfileEnv) == "1" {
		t.Skip("in the child")
	}
	fdtest.Check(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestEMFILEChild$", "-test.count=1", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), emfileEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := false
	defer func() {
		if !exited {
			cmd.Process.Kill()
			cmd.Wait()
			t.Logf("child's stderr:\n%s", stderr.String())
		}
	}()

	// The child's addresses, then the rest of its output.
	addrs := map[string]string{}
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var out bytes.Buffer
	for len(addrs) < 2 {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the child exited before serving: %s", out.String())
			}
			out.WriteString(line + "\n")
			if face, addr, ok := strings.Cut(line, " "); ok && (face == "fiber" || face == "callback") {
				addrs[face] = addr
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the child did not print its addresses within 30s")
		}
	}
	outDone := make(chan struct{})
	go func() {
		defer close(outDone)
		for line := range lines {
			out.WriteString(line + "\n")
		}
	}()
	for _, face := range []string{"fiber", "callback"} {
		t.Run(face, func(t *testing.T) { emfileExercise(t, addrs[face], cmd.Process.Pid) })
	}

	stdin.Close()
	<-outDone
	err = cmd.Wait()
	exited = true
	t.Logf("child's stderr:\n%s", stderr.String())
	if err != nil {
		t.Fatalf("child: %v\nstdout:\n%s", err, out.String())
	}
}

// emfileFDs counts the fds process pid has open.
func emfileFDs(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// emfileExercise runs the EMFILE scenario against one of the child's
// echo servers.
func emfileExercise(t *testing.T, addr string, pid int) {
	baseline := emfileFDs(t, pid)
	conns := make([]net.Conn, emfileConns)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	msg := func(i int, what string) []byte { return fmt.Appendf(nil, "%s %03d\n", what, i) }
	type echo struct {
		i   int
		err error
	}
	echoed := make(chan echo, emfileConns)
	for i := range conns {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err) // the backlog holds what the child cannot accept
		}
		conns[i] = c
		if _, err := c.Write(msg(i, "hello")); err != nil {
			t.Fatal(err)
		}
		go func() { // the first echo comes once the child has accepted
			c.SetReadDeadline(time.Now().Add(60 * time.Second))
			want := msg(i, "hello")
			got := make([]byte, len(want))
			_, err := io.ReadFull(c, got)
			if err == nil && !bytes.Equal(got, want) {
				err = fmt.Errorf("echo %q, want %q", got, want)
			}
			echoed <- echo{i, err}
		}()
	}

	// Phase 1: the child accepts what its fds allow, then stalls.
	var accepted []int
	quiet := 500 * time.Millisecond
	timeout := time.After(20 * time.Second)
phase1:
	for {
		wait := quiet
		if len(accepted) == 0 {
			wait = 10 * time.Second
		}
		select {
		case e := <-echoed:
			if e.err != nil {
				t.Fatalf("connection %d: %v", e.i, e.err)
			}
			accepted = append(accepted, e.i)
		case <-time.After(wait):
			break phase1
		case <-timeout:
			t.Fatal("the child kept accepting for 20s")
		}
	}
	t.Logf("the child accepted %d of %d connections before running out of fds", len(accepted), emfileConns)
	if len(accepted) == 0 || len(accepted) >= emfileConns {
		t.Fatalf("the child accepted %d of %d connections; want it out of fds (limit %d) before the end", len(accepted), emfileConns, emfileLimit)
	}

	// Out of fds, it still serves the connections it has.
	for _, i := range accepted {
		c := conns[i]
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write(msg(i, "again")); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		got := make([]byte, len(msg(i, "again")))
		if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg(i, "again")) {
			t.Fatalf("connection %d, out of fds: echo %q, %v", i, got, err)
		}
	}

	// It does not spin: its accept backs off.
	cpu0, t0 := emfileCPU(t, pid), time.Now()
	time.Sleep(time.Second)
	cpu, wall := emfileCPU(t, pid)-cpu0, time.Since(t0)
	t.Logf("out of fds, the child used %v of CPU in %v", cpu, wall)
	if cpu > 250*time.Millisecond {
		t.Errorf("out of fds, the child used %v of CPU in %v: is accept spinning?", cpu, wall)
	}
	select {
	case e := <-echoed:
		t.Fatalf("connection %d echoed while the child was out of fds (%v)", e.i, e.err)
	default:
	}

	// Phase 2: close what was accepted; as fds free up, the back-off
	// retries accept the waiting connections, and each echoes; close each
	// as it does, until every connection has echoed.
	var closeMu sync.Mutex
	closeConn := func(i int) {
		closeMu.Lock()
		defer closeMu.Unlock()
		conns[i].Close()
		conns[i] = nil
	}
	for _, i := range accepted {
		closeConn(i)
	}
	start := time.Now()
	for n := len(accepted); n < emfileConns; n++ {
		select {
		case e := <-echoed:
			if e.err != nil {
				t.Fatalf("waiting connection %d: %v", e.i, e.err)
			}
			closeConn(e.i)
		case <-time.After(30 * time.Second):
			t.Fatalf("%d of %d connections were never accepted after fds were freed", emfileConns-n, emfileConns)
		}
	}
	t.Logf("the %d waiting connections were accepted and echoed within %v", emfileConns-len(accepted), time.Since(start))

	// Once the clients are gone, the child is back to the fds it had.
	deadline := time.Now().Add(10 * time.Second)
	for emfileFDs(t, pid) > baseline {
		if time.Now().After(deadline) {
			t.Fatalf("the child holds %d fds, %d before the connections", emfileFDs(t, pid), baseline)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
