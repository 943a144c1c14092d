//go:build unix

package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/weftio/weft/examples/forms/internal/formtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	out := formtest.Run(t, run)
	formtest.InOrder(t, out,
		`^client: OnOpen, sending ping 1$`,
		`^server: OnData "ping 1", echoing it$`,
		`^client: OnData "ping 1"$`,
		`^server: OnData "ping 3", echoing it$`,
		`^client: OnData "ping 3"$`,
		`^client: all answered, closing$`,
		`^client: OnClose\(<nil>\)$`,
		`^server: OnClose\(EOF\)$`)
}

func Example() {
	if err := run(os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// client: OnOpen, sending ping 1
	// server: OnData "ping 1", echoing it
	// client: OnData "ping 1"
	// server: OnData "ping 2", echoing it
	// client: OnData "ping 2"
	// server: OnData "ping 3", echoing it
	// client: OnData "ping 3"
	// client: all answered, closing
	// client: OnClose(<nil>)
	// server: OnClose(EOF)
}
