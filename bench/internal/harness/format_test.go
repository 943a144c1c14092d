package harness_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/weftio/weft/bench/internal/harness"
)

func TestFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{harness.F0(0), "0"},
		{harness.F0(999), "999"},
		{harness.F0(1000), "1,000"},
		{harness.F0(1234567.8), "1,234,568"},
		{harness.F0(-1234), "-1,234"},
		{harness.F1(12345.67), "12,345.7"},
		{harness.F2(-0.5), "-0.50"},
		{harness.F2(math.NaN()), "—"},
		{harness.Fx(1.256), "1.26×"},
		{harness.Fx(math.Inf(1)), "—"},
		{harness.WithRange(harness.NewStat(nil), harness.F0), "—"},
		{harness.WithRange(harness.NewStat([]float64{1500}), harness.F0), "1,500"},
		{harness.Started("2025-11-27T16:24:05Z"), "2025-11-27 16:24:05"},
		{harness.Machine{CPUModel: "Xeon", NProc: 4, Kernel: "Linux 6.1", MemTotal: "16 GiB"}.String(), "Xeon, 4 CPUs (nproc), Linux 6.1, 16 GiB RAM"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func ExampleWithRange() {
	s := harness.NewStat([]float64{9500, 10000, 10500})
	fmt.Println(harness.WithRange(s, harness.F0))
	// Output: 10,000 ±5 %
}
