package harness

import (
	"fmt"
	"runtime"
)

// Machine describes the host for a report.
type Machine struct {
	CPUModel string `json:"cpu_model"`
	NProc    int    `json:"nproc"`
	Kernel   string `json:"kernel"`
	MemTotal string `json:"mem_total"`
}

// DescribeMachine describes this host: what it cannot find out it
// calls "unknown".
func DescribeMachine() Machine {
	m := Machine{NProc: runtime.NumCPU(), CPUModel: "unknown", Kernel: "unknown", MemTotal: "unknown"}
	describe(&m)
	return m
}

// String describes m for a report: "CPU, 4 CPUs (nproc), Linux 6.1, 16
// GiB RAM".
func (m Machine) String() string {
	return fmt.Sprintf("%s, %d CPUs (nproc), %s, %s RAM", m.CPUModel, m.NProc, m.Kernel, m.MemTotal)
}
