//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/netpoll"
)

// An echo server on the callback face: OnData writes the bytes back, on
// the connection's loop. A client of Go's net package talks to it.
func ExampleServe() {
	g, err := loop.NewGroup(2)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer g.Close()
	srv, err := netpoll.Serve(g, "tcp", "127.0.0.1:0", netpoll.Handlers{
		Data: func(c *netpoll.EventConn, data []byte) { c.Write(data) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	fmt.Fprintln(c, "hello, weft")
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(line)
	// Output: hello, weft
}

// An echo server and its client on the fiber face, in one fiber.Run:
// Accept, Read and Write park their fiber, never the loop.
func ExampleListen() {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		ln, err := netpoll.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		server := fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
			c, err := ln.Accept()
			if err != nil {
				return struct{}{}, err
			}
			defer c.Close()
			_, err = io.Copy(c, c) // until the client's FIN
			return struct{}{}, err
		})

		c, err := netpoll.Dial(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		fmt.Fprintln(c, "hello from a fiber")
		c.CloseWrite()
		b, err := io.ReadAll(c)
		if err != nil {
			return err
		}
		fmt.Print(string(b))
		ln.Close()
		_, err = fiber.Await(ctx, server)
		return err
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: hello from a fiber
}
