//go:build unix

package main

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"go.uber.org/goleak"

	"github.com/weftio/weft/examples/forms/internal/formtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	out := formtest.Run(t, run)
	formtest.InOrder(t, out,
		`^reactor: echoed 1000 messages, 64000 bytes$`,
		`^  \d+ readiness events; \d+ read\(2\)s, \d+ write\(2\)s, \d+ of them EAGAIN$`)
	// Every message takes a read that returns it and a write; the reads
	// that return EAGAIN are the price of asking before acting.
	m := regexp.MustCompile(`(\d+) readiness events; (\d+) read\(2\)s, (\d+) write\(2\)s, (\d+) of them`).FindStringSubmatch(out)
	if m == nil {
		return
	}
	var n [4]int
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	events, reads, writes, eagain := n[0], n[1], n[2], n[3]
	if writes < 1000 || reads < 1001 || eagain < 1 || events < 2 {
		t.Errorf("%d events, %d reads, %d writes, %d EAGAIN: want at least 2, 1001, 1000, 1", events, reads, writes, eagain)
	}
}

// Example runs the program. What it prints varies from run to run (counts
// of system calls and events, times), so it has no Output comment and is
// only compiled here; TestRun runs it and checks what must hold.
func Example() {
	if err := run(os.Stdout); err != nil {
		panic(err)
	}
}
