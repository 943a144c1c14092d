//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain runs the command itself when the environment says so: the
// subprocess tests start the test binary that way.
func TestMain(m *testing.M) {
	if os.Getenv("ECHO_TEST_MAIN") == "1" {
		main()
		os.Exit(0) // main exits itself
	}
	goleak.VerifyTestMain(m)
}

var faces = []string{"callback", "fiber"}

// TestFaces runs the client against each face in process, with small
// requests and with requests far past the write queue's high watermark
// (the callback face's ErrQueueFull and OnDrain, the fiber face's parked
// Write), and checks no goroutine outlives the server.
func TestFaces(t *testing.T) {
	for _, face := range faces {
		for _, size := range []int{64, 3 << 20} {
			t.Run(face+"/"+byteSize(size), func(t *testing.T) {
				defer goleak.VerifyNone(t)
				s, err := startServer(context.Background(), face, "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				r, err := runClient(context.Background(), clientConfig{addr: s.Addr().String(), conns: 4, dur: 300 * time.Millisecond, size: size})
				if cerr := s.Close(); cerr != nil {
					t.Errorf("Close: %v", cerr)
				}
				if err != nil {
					t.Fatal(err)
				}
				if r.requests == 0 || r.p50 <= 0 || r.p99 < r.p50 {
					t.Fatalf("result %+v", r)
				}
				t.Log(r)
			})
		}
	}
}

func byteSize(n int) string {
	if n >= 1<<20 {
		return "3MiB"
	}
	return "64B"
}

// TestSlowReader has a client read nothing while it writes far more than
// the write queue's high watermark: the callback face pauses reading
// (and its OnDrain resumes it), the fiber face's Write parks, and every
// byte comes back in order once the client reads.
func TestSlowReader(t *testing.T) {
	for _, face := range faces {
		t.Run(face, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			s, c := startAndDial(t, context.Background(), face)
			defer s.Close()
			defer c.Close()
			slowReader(t, c, 16<<20)
		})
	}
}

// TestHalfClose has a client write, then close its writing side: the
// server echoes every byte and then closes, so the client reads them all
// and then EOF. The small case has the FIN arrive with the data's edge,
// which netpoll once missed (a short read was taken to mean "drained").
func TestHalfClose(t *testing.T) {
	for _, face := range faces {
		for _, size := range []int{11, 16 << 20} {
			t.Run(face+"/"+strconv.Itoa(size), func(t *testing.T) {
				defer goleak.VerifyNone(t)
				s, c := startAndDial(t, context.Background(), face)
				defer s.Close()
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				sent := randomBytes(3, size)
				werr := make(chan error, 1)
				go func() {
					_, err := c.Write(sent)
					werr <- errors.Join(err, c.(*net.TCPConn).CloseWrite())
				}()
				got, err := io.ReadAll(c)
				if err := errors.Join(err, <-werr); err != nil {
					t.Fatalf("%v (%d bytes back of %d)", err, len(got), size)
				}
				if !bytes.Equal(got, sent) {
					t.Fatalf("%d bytes back of %d, or different ones", len(got), size)
				}
			})
		}
	}
}

// TestCloseWithOpenConns stops each face while a client holds
// connections open mid-request: Close returns, the client sees its
// connection end, and nothing leaks.
func TestCloseWithOpenConns(t *testing.T) {
	for _, face := range faces {
		t.Run(face, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			s, c := startAndDial(t, context.Background(), face)
			defer c.Close()
			echoOnce(t, c, "hello")
			if _, err := c.Write([]byte("half a request")); err != nil {
				t.Fatal(err)
			}
			closed := make(chan error, 1)
			go func() { closed <- s.Close() }()
			select {
			case err := <-closed:
				if err != nil {
					t.Errorf("Close: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Close hangs with a connection open")
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.Copy(io.Discard, c); err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("connection still open after Close: %v", err)
			}
		})
	}
}

// TestCancelFiberFace stops the fiber face by cancelling its context, as
// the command does on a signal.
func TestCancelFiberFace(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := context.WithCancel(context.Background())
	s, c := startAndDial(t, ctx, "fiber")
	defer c.Close()
	echoOnce(t, c, "before the cancel")
	cancel()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read after cancel: %v, want the connection closed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestBadFace(t *testing.T) {
	if s, err := startServer(context.Background(), "threads", "127.0.0.1:0"); err == nil {
		s.Close()
		t.Fatal("unknown face accepted")
	}
}

// TestServeTwiceOnOneAddr checks that a second server on a taken
// address fails, and leaves nothing behind.
func TestServeTwiceOnOneAddr(t *testing.T) {
	for _, face := range faces {
		t.Run(face, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			if s, err := startServer(context.Background(), face, ln.Addr().String()); err == nil {
				s.Close()
				t.Fatal("listening on a taken address succeeded")
			}
		})
	}
}

// TestClientCatchesMismatch runs the client against a server that
// flips a bit now and then: the client must fail with errMismatch.
func TestClientCatchesMismatch(t *testing.T) {
	defer goleak.VerifyNone(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64)
		for i := 0; ; i++ {
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			if i == 10 {
				buf[33] ^= 4
			}
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}()
	_, err = runClient(context.Background(), clientConfig{addr: ln.Addr().String(), conns: 1, dur: 5 * time.Second, size: 64})
	ln.Close()
	<-done
	if !errors.Is(err, errMismatch) {
		t.Fatalf("client: %v, want errMismatch", err)
	}
	t.Log(err)
}

func TestClientRejectsBadConfig(t *testing.T) {
	for _, c := range []clientConfig{
		{addr: "127.0.0.1:1", conns: 0, dur: time.Second, size: 1},
		{addr: "127.0.0.1:1", conns: 1, dur: time.Second, size: 0},
		{addr: "127.0.0.1:1", conns: 1, dur: 0, size: 1},
	} {
		if _, err := runClient(context.Background(), c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// TestDemo runs the demo, shortened.
func TestDemo(t *testing.T) {
	defer goleak.VerifyNone(t)
	var out bytes.Buffer
	if err := demo(context.Background(), &out, clientConfig{conns: 8, dur: 200 * time.Millisecond, size: 64}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, face := range faces {
		re := regexp.MustCompile(`(?m)^` + face + ` +face on 127\.0\.0\.1:\d+: requests/s: [1-9]\d*  p50: \S+  p99: \S+  \(\d+ requests\)$`)
		if !re.Match(out.Bytes()) {
			t.Errorf("output lacks the %s face's line:\n%s", face, out.String())
		}
	}
	t.Log("\n" + out.String())
}

// TestRunClientFlags runs the command's client mode against an in-process
// server, through run's flag parsing.
func TestRunClientFlags(t *testing.T) {
	defer goleak.VerifyNone(t)
	s, err := startServer(context.Background(), "callback", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-client", "-addr", s.Addr().String(), "-c", "3", "-d", "200ms", "-size", "100"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if !regexp.MustCompile(`^requests/s: [1-9]\d*  p50: \S+  p99: \S+`).Match(stdout.Bytes()) {
		t.Errorf("output: %q", stdout.String())
	}
	s.Close()
}

func TestRunBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-nosuchflag"},
		{"-addr", "127.0.0.1:0", "extra"},
		{"-addr", "127.0.0.1:0", "-face", "threads"},
		{"-client", "-addr", "127.0.0.1:1", "-c", "0"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code == 0 {
			t.Errorf("%q: exit 0", args)
		}
	}
}

// TestCommand runs the command in a subprocess for each face: it must
// print its address, echo, and exit 0 on SIGTERM, with a connection open.
func TestCommand(t *testing.T) {
	for _, face := range faces {
		t.Run(face, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			cmd := exec.Command(os.Args[0], "-addr", "127.0.0.1:0", "-face", face)
			// A race-enabled binary sleeps 1 s at exit unless told not to.
			cmd.Env = append(os.Environ(), "ECHO_TEST_MAIN=1", "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			lines := make(chan string, 16)
			go func() {
				// Read all of stdout before Wait, as StdoutPipe demands.
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
				exited <- cmd.Wait()
			}()
			kill := func(why string) {
				t.Helper()
				cmd.Process.Kill()
				for range lines {
				}
				<-exited
				t.Fatalf("%s\nstderr:\n%s", why, stderr.String())
			}

			var addr string
			timeout := time.After(5 * time.Second)
			for addr == "" {
				select {
				case line, ok := <-lines:
					if !ok {
						kill("stdout closed before 'listening on'")
					}
					if a, ok := strings.CutPrefix(line, "listening on "); ok {
						addr = a
					}
				case <-timeout:
					kill("no 'listening on' within 5 s")
				}
			}
			c, err := net.Dial("tcp", addr)
			if err != nil {
				kill(err.Error())
			}
			defer c.Close()
			echoOnce(t, c, "hello, "+face+" face")

			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				kill(err.Error())
			}
			for range lines {
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("exit: %v\nstderr:\n%s", err, stderr.String())
				}
			case <-time.After(5 * time.Second):
				kill("still running 5 s after SIGTERM")
			}
		})
	}
}

// startAndDial starts a server of face on 127.0.0.1:0 and connects to
// it. The caller closes both, before goleak looks.
func startAndDial(t *testing.T, ctx context.Context, face string) (*server, net.Conn) {
	t.Helper()
	s, err := startServer(ctx, face, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	return s, c
}

// slowReader writes n random bytes to c while reading nothing for a
// while, so that the server's write queue fills up and it stops reading,
// then reads them back and checks them.
func slowReader(t *testing.T, c net.Conn, n int) {
	t.Helper()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	defer c.SetDeadline(time.Time{})
	sent := randomBytes(7, n)
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(sent)
		werr <- err
	}()
	time.Sleep(300 * time.Millisecond)
	got := make([]byte, n)
	_, err := io.ReadFull(c, got)
	if err := errors.Join(err, <-werr); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, sent) {
		t.Fatal("echoed bytes differ from the bytes sent")
	}
}

// echoOnce sends msg on c and checks it comes back.
func echoOnce(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != msg {
		t.Fatalf("echoed %q, want %q", got, msg)
	}
}
