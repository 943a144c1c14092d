package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/weftio/weft/bench/internal/proc"
)

func main() { os.Exit(run(os.Args[1:])) }

// run is launch with the arguments args; it returns the exit status.
func run(args []string) int {
	fs := flag.NewFlagSet("launch", flag.ContinueOnError)
	out := fs.String("o", "", "the file to write the usage to, as JSON")
	if err := fs.Parse(args); err != nil || *out == "" || fs.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: launch -o FILE -- COMMAND [ARG ...]")
		return 2
	}
	cmd := exec.Command(fs.Arg(0), fs.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	u, err := proc.Measure(cmd)
	var ee *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal()) // as a shell says it
		}
	case err != nil:
		fmt.Fprintln(os.Stderr, "launch:", err)
		return 125
	}
	b, err := json.Marshal(u)
	if err == nil {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "launch:", err)
		return 125
	}
	return code
}
