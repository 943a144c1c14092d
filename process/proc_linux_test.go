package process_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// noChildren fails t if this process has a child, a zombie above all:
// every child a test started has been reaped. It reads /proc.
func noChildren(t *testing.T) {
	t.Helper()
	for _, c := range children() {
		t.Errorf("child left behind: %s", c)
	}
}

// hasChildren reports whether this process has a child.
func hasChildren() bool { return len(children()) > 0 }

// children describes this process's children, zombies included: "pid
// (comm) state".
func children() []string {
	var found []string
	me := os.Getpid()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(b)
		rest := s[strings.LastIndexByte(s, ')')+2:]
		f := strings.Fields(rest)
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == me {
			found = append(found, s[:strings.LastIndexByte(s, ')')+1]+" "+f[0])
		}
	}
	return found
}
