//go:build linux || darwin || freebsd || netbsd || openbsd

package process_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/process"
)

// printf | sort | tr: three stages, the first fed from a reader, the last
// captured.
func TestPipeline3(t *testing.T) {
	run(t, func(ctx context.Context) error {
		sortCmd := process.Command("sort")
		tr := process.Command("tr", "a-z", "A-Z")
		first := process.Command("cat")
		first.Stdin = strings.NewReader("pear\napple\nfig\n")
		out, err := process.NewPipeline(first, sortCmd, tr).Output(ctx)
		if err != nil || string(out) != "APPLE\nFIG\nPEAR\n" {
			return fmt.Errorf("cat | sort | tr: %q, %v", out, err)
		}
		for i, c := range []*process.Cmd{first, sortCmd, tr} {
			if !c.ProcessState.Success() {
				return fmt.Errorf("stage %d: %v", i, c.ProcessState)
			}
		}
		return nil
	})
}

// The pipeline's error is its last command's, as in a shell without
// pipefail: yes dies of SIGPIPE once head has what it wants.
func TestPipelineStatus(t *testing.T) {
	run(t, func(ctx context.Context) error {
		yes, head, wc := process.Command("yes"), process.Command("head", "-n", "5"), process.Command("wc", "-l")
		out, err := process.NewPipeline(yes, head, wc).Output(ctx)
		if err != nil || strings.TrimSpace(string(out)) != "5" {
			return fmt.Errorf("yes | head -n 5 | wc -l: %q, %v", out, err)
		}
		if yes.ProcessState.Signal() != unix.SIGPIPE {
			return fmt.Errorf("yes ended with %v, want SIGPIPE", yes.ProcessState)
		}
		p := process.NewPipeline(process.Command("true"), process.Command("false"))
		var ee *process.ExitError
		if err := p.Run(ctx); !errors.As(err, &ee) || ee.ExitCode() != 1 {
			return fmt.Errorf("true | false: %v, want exit status 1", err)
		}
		// A stage that cannot start: the started ones are killed and
		// reaped, and nothing leaks.
		p = process.NewPipeline(process.Command("sleep", "60"), process.Command("weft-no-such-command"))
		if err := p.Run(ctx); err == nil {
			return errors.New("a pipeline with a missing command ran")
		}
		if err := p.Cmds[0].Wait(); p.Cmds[0].ProcessState.Signal() != unix.SIGKILL {
			return fmt.Errorf("the started stage: %v, want killed", err)
		}
		// A stage in the middle with its own Stdout is refused.
		mid := process.Command("cat")
		mid.Stdout = new(strings.Builder)
		if err := process.NewPipeline(process.Command("true"), mid, process.Command("cat")).Run(ctx); err == nil {
			return errors.New("a middle stage with its own Stdout was accepted")
		}
		return nil
	})
}
