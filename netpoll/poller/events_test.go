package poller_test

import (
	"testing"

	"github.com/weftio/weft/netpoll/poller"
)

func TestEvents_String(t *testing.T) {
	for _, tc := range []struct {
		ev   poller.Events
		want string
	}{
		{0, "0"},
		{poller.Readable, "Readable"},
		{poller.Writable, "Writable"},
		{poller.Readable | poller.HangUp, "Readable|HangUp"},
		{poller.Readable | poller.Writable | poller.HangUp | poller.Error, "Readable|Writable|HangUp|Error"},
		{poller.Error | 1<<7, "Error|0x80"},
		{1 << 31, "0x80000000"},
	} {
		if got := tc.ev.String(); got != tc.want {
			t.Errorf("Events(%#x).String() = %q, want %q", uint32(tc.ev), got, tc.want)
		}
	}
}
