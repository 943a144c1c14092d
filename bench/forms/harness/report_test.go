//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weftio/weft/bench/internal/harness"
)

// fake is a run of two rounds over a ping-pong and a msgs scenario, with
// one failed run that must not count.
func fake() results {
	scs := []scenario{
		{Name: "rt-1", Kind: "pingpong", Pairs: 1, Active: 1, Size: 64, Impls: pingImpls},
		{Name: "msgs-32", Kind: "msgs", Batch: 32, Size: 64, Impls: msgImpls},
	}
	var runs []Run
	for round := 1; round <= 2; round++ {
		for _, sc := range scs {
			for i, impl := range sc.Impls {
				r := Run{Round: round, Scenario: sc.Name, Impl: impl, Ops: 1000, WindowS: 1,
					NsOp: float64(1000 * (i + 1) * round), CPUNsOp: float64(500 * (i + 1)), Threads: 5}
				if impl == "poll" && round == 2 {
					r.Fail("no operation completed")
					r.NsOp = 1e12
				}
				runs = append(runs, r)
			}
		}
	}
	return results{Meta: meta{Stamp: harness.Stamp{Date: "2026-01-01 00:00 UTC", Command: "scripts/bench_forms.sh"}, Rounds: 2, Dur: "1s", Scenarios: scs}, Runs: runs}
}

func TestReport(t *testing.T) {
	rep := analyse(fake())
	md := rep.Markdown("img", true)
	for _, want := range []string{
		"| epoll | readiness: epoll | 6,000 ±33 % | 2,000 ±0 % |  | 5 | 2/2 |", // the median of 4,000 and 8,000, and its spread
		"| poll | a poll(2) loop | 3,000 | 1,500 | 0.75× | 5 | 1/2 |",          // the failed run does not count
		"| uring-reg | io_uring, registered sockets and buffers |",
		"| rt-1 | 9,000 | 10,500 | 3,000 | 3,500 | 1.17× | 2,000 | 2,500 |", // reactor and proactor
		"![rt-1: one pair: a 64-byte round trip at a time](img/forms-rt-1.png)",
		"round 2, rt-1, poll: no operation completed (run failed, not counted)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
	dir := t.TempDir()
	if err := rep.Charts(dir); err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.chartFiles() {
		if fi, err := os.Stat(filepath.Join(dir, c.File)); err != nil || fi.Size() == 0 {
			t.Errorf("chart %s: %v", c.File, err)
		}
	}
}

// updateDoc rewrites only its section, and refuses a page without one.
func TestUpdateDoc(t *testing.T) {
	rep := analyse(fake())
	doc := filepath.Join(t.TempDir(), "forms.md")
	os.WriteFile(doc, []byte("# page\n\n"+docBegin+"\nold figures\n"+docEnd+"\n\nafter\n"), 0o644)
	for range 2 { // twice: the second run replaces the first's table
		if err := rep.updateDoc(doc, "forms-bench.md"); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(doc)
	page := string(b)
	if strings.Contains(page, "old figures") || !strings.HasPrefix(page, "# page\n\n"+docBegin) || !strings.HasSuffix(page, docEnd+"\n\nafter\n") {
		t.Errorf("the page after two updates:\n%s", page)
	}
	if strings.Count(page, "| weft proactor: loop + io_uring | weft-uring |") != 1 {
		t.Errorf("the summary is not in the page once:\n%s", page)
	}
	os.WriteFile(doc, []byte("# no section\n"), 0o644)
	if err := rep.updateDoc(doc, "forms-bench.md"); err == nil {
		t.Error("updateDoc of a page without the section succeeded")
	}
}
