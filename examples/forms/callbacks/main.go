//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "callbacks:", err)
		os.Exit(1)
	}
}

const pings = 3

func run(w io.Writer) error {
	g, err := loop.NewGroup(1) // one loop, on a goroutine of its own
	if err != nil {
		return err
	}
	defer g.Close()

	// Every callback runs on the loop, one at a time: trace needs no lock.
	var trace []string
	log := func(format string, a ...any) { trace = append(trace, fmt.Sprintf(format, a...)) }
	finished := make(chan []string, 1)

	srv, err := netpoll.Serve(g, "tcp", "127.0.0.1:0", netpoll.Handlers{
		Data: func(c *netpoll.EventConn, data []byte) {
			log("server: OnData %q, echoing it", data)
			c.Write(data) // never waits: what the kernel does not take is queued
		},
		Close: func(c *netpoll.EventConn, err error) {
			log("server: OnClose(%v)", err)
			finished <- trace
		},
	})
	if err != nil {
		return err
	}
	defer srv.Close()

	// The client's state lives between its callbacks, in this variable.
	sent := 0
	send := func(c *netpoll.EventConn) {
		sent++
		c.Write(fmt.Appendf(nil, "ping %d", sent))
	}
	client := netpoll.Handlers{
		Open: func(c *netpoll.EventConn) {
			log("client: OnOpen, sending ping 1")
			send(c)
		},
		Data: func(c *netpoll.EventConn, data []byte) {
			log("client: OnData %q", data)
			if sent < pings {
				send(c)
				return
			}
			log("client: all answered, closing")
			c.Close()
		},
		Close: func(c *netpoll.EventConn, err error) { log("client: OnClose(%v)", err) },
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := netpoll.Connect(g.Loop(0), "tcp", srv.Addr().String(), client).Wait(ctx); err != nil {
		return err
	}
	select {
	case t := <-finished:
		for _, line := range t {
			fmt.Fprintln(w, line)
		}
		return nil
	case <-ctx.Done():
		return errors.New("the server never saw the client close")
	}
}
