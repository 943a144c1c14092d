//go:build linux || darwin || freebsd || netbsd || openbsd

package signal_test

import (
	"context"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/signal"
)

// A fiber waits for SIGHUP, the way a server waits for "reload your
// configuration": Recv parks the fiber, and the loop goes on serving
// everything else meanwhile.
func ExampleSubscribe() {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		sub, err := signal.Subscribe(fiber.Loop(ctx), unix.SIGHUP)
		if err != nil {
			return err
		}
		defer sub.Stop()

		unix.Kill(unix.Getpid(), unix.SIGHUP) // as `kill -HUP` would

		ev, err := sub.Recv(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("%v (count %d): reloading\n", ev.Signal, ev.Count)
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: hangup (count 1): reloading
}

// The callback face: the function runs on the loop, as a task, like any
// other event of the loop; here it stops the loop on SIGTERM, as a server
// shutting down gracefully would.
func ExampleNotify() {
	l, err := loop.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	sub, err := signal.Notify(l, func(ev signal.Event) {
		fmt.Println("got", ev.Signal, "on the loop:", l.OnLoop())
		l.Stop()
	}, unix.SIGTERM)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sub.Stop()

	unix.Kill(unix.Getpid(), unix.SIGTERM)
	if err := l.Run(); err != nil { // returns once the callback stops it
		fmt.Println(err)
	}
	// Output: got terminated on the loop: true
}
