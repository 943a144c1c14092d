package proc_test

import (
	"errors"
	"fmt"
	"os/exec"

	"github.com/weftio/weft/bench/internal/proc"
)

func ExampleMeasure() {
	u, err := proc.Measure(exec.Command("/bin/sh", "-c", "exit 3"))
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		fmt.Println("exit status", ee.ExitCode())
	}
	fmt.Println(u.WallS > 0)
	// Output:
	// exit status 3
	// true
}
