package harness

import "fmt"

// Status is whether a run's figures count, and why not. A harness's run
// type embeds it, which gives the run the JSON fields "failed" and
// "problems" where it is embedded.
type Status struct {
	// Failed means the figures are not to be used; Problems says why,
	// and also holds warnings that do not fail the run.
	Failed   bool     `json:"failed"`
	Problems []string `json:"problems,omitempty"`
}

// Fail records a problem that makes the run's figures unusable.
func (s *Status) Fail(format string, a ...any) {
	s.Failed = true
	s.Problems = append(s.Problems, fmt.Sprintf(format, a...))
}

// Warn records a problem the reader should know of that leaves the run's
// figures usable.
func (s *Status) Warn(format string, a ...any) {
	s.Problems = append(s.Problems, fmt.Sprintf(format, a...))
}

func (s Status) status() Status { return s }

// Key names a run: the scenario, implementation and round it belongs to.
type Key struct {
	Scenario string
	Impl     string
	Round    int
}

// Run is a harness's run type as this package sees it: a struct that
// embeds Status (which gives it the unexported method) and says which
// run it is.
type Run interface {
	Key() Key
	status() Status
}

// Outcome is the run's cell in a report's table of every run: "yes", or
// "**failed**".
func (s Status) Outcome() string {
	if s.Failed {
		return "**failed**"
	}
	return "yes"
}
