package harness

import (
	"flag"
	"fmt"
	"os"
	"time"
)

// Results is everything a run of a harness found, as Files.Save writes
// it and Files.Load reads it: M is the harness's description of the run
// (its meta), R its run type.
type Results[M any, R Run] struct {
	Meta M   `json:"meta"`
	Runs []R `json:"runs"`
}

// Stamp is the head of a harness's meta: when the run started, the
// command that reproduces it, and the machine it ran on.
type Stamp struct {
	Date    string  `json:"date"`
	Command string  `json:"command"`
	Machine Machine `json:"machine"`
}

// NewStamp stamps a run that starts now and that command reproduces.
func NewStamp(command string) Stamp {
	return Stamp{Date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), Command: command, Machine: DescribeMachine()}
}

// Span is the tail of a harness's meta: the load average before and
// after the runs, and how long they took.
type Span struct {
	LoadStart float64 `json:"load_start"`
	LoadEnd   float64 `json:"load_end"`
	Elapsed   string  `json:"elapsed"`

	t0 time.Time
}

// Begin starts a span now.
func Begin() Span { return Span{LoadStart: LoadAvg(), t0: time.Now()} }

// End ends s now, which Begin started.
func (s *Span) End() {
	s.LoadEnd = LoadAvg()
	s.Elapsed = time.Since(s.t0).Round(time.Second).String()
}

// GivenFlags reports which flags the command line set, by name, once
// flag.Parse has run: a harness's -quick changes only the defaults the
// command line left alone.
func GivenFlags() map[string]bool {
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// Fatalf prints "harness: " and the message to stderr and exits with
// status 1.
func Fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "harness: "+format+"\n", a...)
	os.Exit(1)
}
