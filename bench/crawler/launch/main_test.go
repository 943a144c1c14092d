package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/weftio/weft/bench/internal/proc"
)

func TestLaunch(t *testing.T) {
	out := filepath.Join(t.TempDir(), "usage.json")
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"-o", out, "--", "/bin/sh", "-c", "exit 0"}, 0},
		{[]string{"-o", out, "--", "/bin/sh", "-c", "exit 3"}, 3},
		{[]string{"-o", out, "--", "/bin/sh", "-c", "kill -TERM $$"}, 128 + 15},
	} {
		os.Remove(out)
		if code := run(tc.args); code != tc.code {
			t.Errorf("%q: exit %d, want %d", tc.args, code, tc.code)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		var u proc.Usage
		if err := json.Unmarshal(b, &u); err != nil || u.WallS <= 0 {
			t.Errorf("%q: usage %s: %v", tc.args, b, err)
		}
	}
	for _, args := range [][]string{{"--", "/bin/true"}, {"-o", out}, {"-x"}} {
		if code := run(args); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if code := run([]string{"-o", out, "--", "/nonexistent/command"}); code != 125 {
		t.Errorf("a command that does not exist: exit %d, want 125", code)
	}
}
