package process_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weftio/weft/process"
)

// The stages are wired fd to fd: the first one's stdout and the second
// one's stdin are the same pipe, and the parent holds no end of it.
func TestPipelineFdToFd(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a := process.Command("sh", "-c", "readlink /proc/$$/fd/1; read x") // waits for EOF on its input
		b := process.Command("sh", "-c", "readlink /proc/$$/fd/0; cat")
		out, err := b.StdoutPipe()
		if err != nil {
			return err
		}
		defer out.Close()
		in, err := a.StdinPipe()
		if err != nil {
			return err
		}
		p := process.NewPipeline(a, b)
		if err := p.Start(ctx); err != nil {
			return err
		}
		var lines []string
		buf := make([]byte, 256)
		for len(lines) < 2 {
			n, err := out.Read(buf)
			if err != nil {
				return err
			}
			lines = append(lines, strings.Fields(string(buf[:n]))...)
		}
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "pipe:[") || lines[0] != lines[1] {
			return fmt.Errorf("b's stdin and a's stdout: %q, want the same pipe", lines)
		}
		// Both children are running: the parent must hold no end of that pipe.
		fds, _ := filepath.Glob("/proc/self/fd/*")
		for _, fd := range fds {
			if target, _ := os.Readlink(fd); target == lines[0] {
				return fmt.Errorf("the parent holds %s: %s", fd, target)
			}
		}
		in.Close()
		return p.Wait()
	})
}
