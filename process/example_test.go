//go:build linux || darwin || freebsd || netbsd || openbsd

package process_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/process"
)

// Output runs a command in a fiber and returns what it wrote: the fiber
// parks while the child runs, the loop does not.
func ExampleCmd_Output() {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		cmd := process.Command("sort")
		cmd.Stdin = strings.NewReader("pear\napple\nfig\n")
		out, err := cmd.Output(ctx)
		if err != nil {
			return err
		}
		fmt.Print(string(out))
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// apple
	// fig
	// pear
}

// A context that ends kills the child; Wait's error says how it ended,
// and matches the context's error.
func ExampleCmd_Wait() {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		cmd := process.Command("sleep", "60")
		if err := cmd.Start(ctx); err != nil {
			return err
		}
		err := cmd.Wait()
		fmt.Println(err)
		fmt.Println("deadline exceeded:", errors.Is(err, context.DeadlineExceeded))
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// signal: killed
	// deadline exceeded: true
}

// StdoutPipe in a fiber is an io.Reader: bufio.Scanner reads the child's
// lines as they come.
func ExampleCmd_StdoutPipe() {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		cmd := process.Command("sh", "-c", "for i in 1 2 3; do echo line $i; done")
		out, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		defer out.Close()
		if err := cmd.Start(ctx); err != nil {
			return err
		}
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			fmt.Println("got:", sc.Text())
		}
		if err := sc.Err(); err != nil {
			return err
		}
		return cmd.Wait()
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// got: line 1
	// got: line 2
	// got: line 3
}

// The callback face: a task of the loop starts the child, the output is
// pushed to a handler as it arrives, and the exit is a future.
func ExampleCmd_StartOn() {
	l, err := loop.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	l.Post(func() {
		left := 2 // the end of the output and the exit, in either order
		done := func() {
			if left--; left == 0 {
				l.Stop()
			}
		}
		cmd := process.Command("echo", "hello from a child")
		out, err := cmd.StdoutPipe()
		if err != nil {
			fmt.Println(err)
			l.Stop()
			return
		}
		out.SetHandler(process.ReadHandler{
			Data:  func(b []byte) { fmt.Printf("data: %q\n", b) },
			Close: func(err error) { fmt.Println("output ended:", err); done() },
		})
		if err := cmd.StartOn(context.Background(), l); err != nil {
			fmt.Println(err)
			l.Stop()
			return
		}
		cmd.Done().OnSettled(func(st *process.State, err error) {
			fmt.Println("exited:", st, err)
			done()
		})
	})
	l.Run()
	// Unordered output:
	// data: "hello from a child\n"
	// output ended: EOF
	// exited: exit status 0 <nil>
}

// A pipeline runs `a | b | c` with pipes from child to child: the data
// never passes through this process.
func ExampleNewPipeline() {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		out, err := process.NewPipeline(
			process.Command("printf", "b\\na\\nb\\nc\\na\\n"),
			process.Command("sort"),
			process.Command("uniq", "-c"),
		).Output(ctx)
		if err != nil {
			return err
		}
		fmt.Print(strings.Join(strings.Fields(string(out)), " "))
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: 2 a 2 b 1 c
}

// Pipe makes a pipe on the loop, both ends with a fiber face: the writer
// parks when the pipe is full, the reader when it is empty.
func ExamplePipe() {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		r, w, err := process.Pipe(fiber.Loop(ctx))
		if err != nil {
			return err
		}
		defer r.Close()
		fiber.Go(ctx, func(context.Context) (struct{}, error) {
			defer w.Close()
			_, err := fmt.Fprintln(w, "through a pipe, between two fibers")
			return struct{}{}, err
		})
		line, err := bufio.NewReader(r).ReadString('\n')
		fmt.Print(line)
		return err
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: through a pipe, between two fibers
}
