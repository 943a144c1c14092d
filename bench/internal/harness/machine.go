package harness

import "runtime"

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
