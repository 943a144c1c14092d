//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is the unit of /proc/<pid>/stat's utime and stime
// (sysconf(_SC_CLK_TCK)), read from the auxiliary vector; 100 if absent.
var clockTicks = func() float64 {
	b, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return 100
	}
	const atClkTck = 17
	for i := 0; i+16 <= len(b); i += 16 {
		k, v := binary.NativeEndian.Uint64(b[i:]), binary.NativeEndian.Uint64(b[i+8:])
		if k == atClkTck && v > 0 {
			return float64(v)
		}
		if k == 0 {
			break
		}
	}
	return 100
}()

// readProc returns /proc/<pid>/<name>.
func readProc(pid int, name string) ([]byte, error) {
	return os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, name))
}

// procCPU returns the CPU seconds process pid has used in user mode
// (utime) and in the kernel (stime).
func procCPU(pid int) (user, sys float64, err error) {
	b, err := readProc(pid, "stat")
	if err != nil {
		return 0, 0, err
	}
	return parseStatCPU(b)
}

// parseStatCPU reads utime and stime from a /proc/<pid>/stat line. The
// command name, field 2, is in parentheses and may hold spaces and
// parentheses itself: the fields are counted after the last ')'.
func parseStatCPU(b []byte) (user, sys float64, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("stat: no ')' in %q", b)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("stat: %d fields after the name", len(f))
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("stat: utime %q, stime %q", f[11], f[12])
	}
	return float64(ut) / clockTicks, float64(st) / clockTicks, nil
}

// procIO returns how many read and write system calls (read, readv,
// write, writev and the like: syscr and syscw of /proc/<pid>/io) process
// pid has made.
func procIO(pid int) (reads, writes int64, err error) {
	b, err := readProc(pid, "io")
	if err != nil {
		return 0, 0, err
	}
	return parseIO(b)
}

func parseIO(b []byte) (reads, writes int64, err error) {
	found := 0
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, perr := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		switch k {
		case "syscr":
			reads, err = n, perr
			found++
		case "syscw":
			writes, err = n, perr
			found++
		}
		if err != nil {
			return 0, 0, err
		}
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("io: no syscr and syscw")
	}
	return reads, writes, nil
}

// systemBusy returns the CPU seconds all CPUs have spent busy (not idle,
// not waiting for I/O) since boot, from /proc/stat.
func systemBusy() (float64, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, fmt.Errorf("/proc/stat: empty")
	}
	return parseSystemBusy(sc.Text())
}

func parseSystemBusy(line string) (float64, error) {
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: first line %q", line)
	}
	var busy uint64
	for i, s := range f[1:] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %q", line)
		}
		switch i {
		case 3, 4: // idle, iowait
		case 8, 9: // guest, guest_nice: already in user and nice
		default:
			busy += v
		}
	}
	return float64(busy) / clockTicks, nil
}

// procRSS returns process pid's resident set size in bytes (VmRSS).
func procRSS(pid int) (int64, error) {
	b, err := readProc(pid, "status")
	if err != nil {
		return 0, err
	}
	return parseVmRSS(b)
}

func parseVmRSS(b []byte) (int64, error) {
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) != 2 || f[1] != "kB" {
				return 0, fmt.Errorf("status: VmRSS line %q", line)
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("status: no VmRSS")
}
