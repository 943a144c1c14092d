package harness

import (
	"fmt"
	"strings"
)

// Heading is the top of a report: what it is, what wrote it, how to
// write it again, and when the run was.
type Heading struct {
	Title   string // the report's title, without "# "
	Writer  string // the harness that writes the report, as "bench/x/harness"
	Command string // the command that reproduces the run
	Date    string // when the run started
	Elapsed string // how long it took
	Quick   bool   // a smoke run, too short to judge by
}

// String is the heading in markdown: the title, a comment not to edit
// the file, the command in a code block, and the first item of a list
// (the date), for the harness to go on with.
func (h Heading) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", h.Title)
	fmt.Fprintf(&b, "<!-- Written by %s: rerun the command below instead of editing. -->\n\n", h.Writer)
	fmt.Fprintf(&b, "Reproduce with:\n\n```sh\n%s\n```\n\n", h.Command)
	quick := ""
	if h.Quick {
		quick = " **Quick (smoke) run: too short to judge by.**"
	}
	fmt.Fprintf(&b, "- Date: %s; the run took %s.%s\n", h.Date, h.Elapsed, quick)
	return b.String()
}

// ChartFile is a chart of a report: its file name and its title.
type ChartFile struct{ File, Title string }

// ChartsSection is the markdown section showing files, in the directory
// dir as the markdown refers to it.
func ChartsSection(files []ChartFile, dir string) string {
	var b strings.Builder
	b.WriteString("## Charts\n\n")
	b.WriteString("Made by the harness with gonum.org/v1/plot from the medians above.\n\n")
	for _, c := range files {
		fmt.Fprintf(&b, "![%s](%s/%s)\n\n", c.Title, dir, c.File)
	}
	return b.String()
}

// ProblemsSection is the markdown section listing the problems of every
// run, each marked if it failed the run; none is its text if there are
// none.
func ProblemsSection[R Run](runs []R, none string) string {
	var probs []string
	for _, r := range runs {
		k, s := r.Key(), r.status()
		for _, pr := range s.Problems {
			failed := ""
			if s.Failed {
				failed = " (run failed, not counted)"
			}
			probs = append(probs, fmt.Sprintf("- round %d, %s, %s: %s%s", k.Round, k.Scenario, k.Impl, pr, failed))
		}
	}
	if len(probs) == 0 {
		return "## Problems\n\n" + none + "\n\n"
	}
	return "## Problems\n\n" + strings.Join(probs, "\n") + "\n\n"
}

// Started formats a run's start, in RFC 3339 and UTC, for a table:
// "2006-01-02 15:04:05".
func Started(rfc3339 string) string {
	return strings.TrimSuffix(strings.Replace(rfc3339, "T", " ", 1), "Z")
}

// Verdict is a target's cell in a report: "n/a" if a figure it needs is
// unknown, else "**yes**" or "**no**" as it held.
func Verdict(held, unknown bool) string {
	switch {
	case unknown:
		return "n/a"
	case held:
		return "**yes**"
	}
	return "**no**"
}

// InRounds says in how many of rounds rounds a target held, run against
// run ("3 of 5"): held reports, for a round, whether it held, and valid
// whether the round had the runs to tell (else it is not counted).
func InRounds(rounds int, held func(round int) (held, valid bool)) string {
	n, k := 0, 0
	for round := 1; round <= rounds; round++ {
		if ok, valid := held(round); valid {
			n++
			if ok {
				k++
			}
		}
	}
	return fmt.Sprintf("%d of %d", k, n)
}
