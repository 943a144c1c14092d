package proc

import (
	"os/exec"
	"time"
)

// Usage is what a child process used from its start to its exit.
type Usage struct {
	WallS float64 `json:"wall_s"` // from just before its start to the end of its wait
	UserS float64 `json:"user_s"` // CPU seconds in user mode
	SysS  float64 `json:"sys_s"`  // CPU seconds in the kernel

	// PeakRSS is the most memory it had resident at once, in bytes, and
	// PeakFrom says where the figure comes from: "wait4" (its rusage's
	// maxrss, exact), "sampled" (the highest VmHWM of /proc/PID/status
	// read while it ran, a lower bound) or "" (unknown: PeakRSS is 0).
	PeakRSS  int64  `json:"peak_rss"`
	PeakFrom string `json:"peak_from,omitempty"`
	// Floor is the parent's own peak at the start, in bytes: the least
	// maxrss wait4 can report on Linux (0 elsewhere).
	Floor int64 `json:"floor,omitempty"`
}

// Measure starts cmd, waits for it to exit and returns what it used,
// with the error of its Start or Wait (an *exec.ExitError if it exited
// non-zero: the figures are still there).
//
// On Linux, wait4's maxrss of a child that Go started is not the child's
// own peak but the larger of it and the parent's peak at the start: Go
// starts children with vfork, and exec keeps the high-water mark of the
// memory it leaves, the parent's. So Measure reads its own VmHWM before
// the start and takes maxrss only if it is above that; otherwise (a
// child smaller than the parent) it falls back to the child's VmHWM,
// sampled every 5 ms while it runs, which misses at most the growth of
// its last 5 ms. Elsewhere maxrss is taken as it is, and may hold the
// parent's own peak.
func Measure(cmd *exec.Cmd) (Usage, error) {
	floor := selfPeak()
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return Usage{}, err
	}
	stop, sampled := samplePeak(cmd.Process.Pid, 5*time.Millisecond)
	err := cmd.Wait()
	wall := time.Since(t0)
	stop()
	ps := cmd.ProcessState
	u := Usage{WallS: wall.Seconds(), UserS: ps.UserTime().Seconds(), SysS: ps.SystemTime().Seconds(), Floor: floor}
	switch m := maxRSS(ps); {
	case m > floor:
		u.PeakRSS, u.PeakFrom = m, "wait4"
	case *sampled > 0:
		u.PeakRSS, u.PeakFrom = *sampled, "sampled"
	}
	return u, err
}

// CPUS is u's user and system CPU seconds together.
func (u Usage) CPUS() float64 { return u.UserS + u.SysS }
