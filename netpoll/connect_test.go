//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/netpoll"
)

// Connect dials from the callback face: OnOpen runs before the future
// settles with the connection, data flows both ways, and a refused
// connect rejects the future without calling the handler.
func TestConnect(t *testing.T) {
	fdtest.Check(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		netEcho(c)
	}()
	l := looptest.Start(t)
	var log []string
	got := make(chan string, 1)
	h := netpoll.Handlers{
		Open: func(c *netpoll.EventConn) { log = append(log, "open") },
		Data: func(c *netpoll.EventConn, data []byte) {
			got <- string(data)
			c.Close()
		},
		Close: func(c *netpoll.EventConn, err error) { log = append(log, fmt.Sprintf("close %v", err)) },
	}
	f := netpoll.Connect(l, "tcp", ln.Addr().String(), h, netpoll.WithDialTimeout(5*time.Second))
	c, err := f.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("ping")); err != nil { // from this goroutine: blocks until accepted
		t.Fatal(err)
	}
	if s := <-got; s != "ping" {
		t.Errorf("echo %q", s)
	}
	ln.Close()
	looptest.On(t, l, func() {
		if strings.Join(log, ",") != "open,close <nil>" {
			t.Errorf("callbacks: %q", log)
		}
	})

	addr := ln.Addr().String() // closed now
	_, err = netpoll.Connect(l, "tcp", addr, h).Wait(context.Background())
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Connect to a closed port: %v", err)
	}
	_, err = netpoll.Connect(l, "tcp", "not an address", h).Wait(context.Background())
	if err == nil {
		t.Error("Connect to a bad address succeeded")
	}
	looptest.On(t, l, func() {
		if len(log) != 2 {
			t.Errorf("a failed Connect called the handler: %q", log)
		}
	})
}
