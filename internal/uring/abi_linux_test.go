package uring

import (
	"sync/atomic"
	"testing"
	"unsafe"
)

// TestABI_layout checks the Go mirrors of the kernel's structures field by
// field against the offsets in include/uapi/linux/io_uring.h.
func TestABI_layout(t *testing.T) {
	var s SQE
	var c CQE
	var p params
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"sqe.opcode", unsafe.Offsetof(s.opcode), 0},
		{"sqe.flags", unsafe.Offsetof(s.flags), 1},
		{"sqe.ioprio", unsafe.Offsetof(s.ioprio), 2},
		{"sqe.fd", unsafe.Offsetof(s.fd), 4},
		{"sqe.off", unsafe.Offsetof(s.off), 8},
		{"sqe.addr", unsafe.Offsetof(s.addr), 16},
		{"sqe.len", unsafe.Offsetof(s.len), 24},
		{"sqe.rw_flags", unsafe.Offsetof(s.opFlags), 28},
		{"sqe.user_data", unsafe.Offsetof(s.userData), 32},
		{"sqe.buf_index", unsafe.Offsetof(s.bufIndex), 40},
		{"sqe.personality", unsafe.Offsetof(s.personality), 42},
		{"sqe.file_index", unsafe.Offsetof(s.fileIndex), 44},
		{"sqe.addr3", unsafe.Offsetof(s.addr3), 48},
		{"sizeof(sqe)", unsafe.Sizeof(s), 64},
		{"cqe.user_data", unsafe.Offsetof(c.UserData), 0},
		{"cqe.res", unsafe.Offsetof(c.Res), 8},
		{"cqe.flags", unsafe.Offsetof(c.Flags), 12},
		{"sizeof(cqe)", unsafe.Sizeof(c), 16},
		{"params.features", unsafe.Offsetof(p.features), 20},
		{"params.sq_off", unsafe.Offsetof(p.sqOff), 40},
		{"params.sq_off.array", unsafe.Offsetof(p.sqOff.array), 24},
		{"params.cq_off", unsafe.Offsetof(p.cqOff), 80},
		{"params.cq_off.cqes", unsafe.Offsetof(p.cqOff.cqes), 20},
		{"sizeof(params)", unsafe.Sizeof(p), 120},
		{"sizeof(probe)", unsafe.Sizeof(probe{}), 16 + 256*8},
	} {
		if f.got != f.want {
			t.Errorf("%s at %d, want %d", f.name, f.got, f.want)
		}
	}
}

// TestReap_overflow checks that the overflow test really overflows, and
// that Reap leaves nothing in the kernel.
func TestReap_overflow(t *testing.T) {
	r, err := New(Config{Entries: 2, CQEntries: 2})
	if err != nil {
		t.Skip(err)
	}
	defer r.Close()
	for range 3 {
		r.SQE().PrepNop()
		r.SQE().PrepNop()
		if _, err := r.Submit(); err != nil {
			t.Fatal(err)
		}
	}
	if atomic.LoadUint32(r.sqFlags)&sqCQOverflow == 0 {
		t.Fatal("6 CQEs for a CQ of 2 and no IORING_SQ_CQ_OVERFLOW")
	}
	if n := r.Reap(func(CQE) {}); n != 6 {
		t.Fatalf("Reap() = %d, want 6", n)
	}
	if atomic.LoadUint32(r.sqFlags)&sqCQOverflow != 0 {
		t.Fatal("IORING_SQ_CQ_OVERFLOW still set after Reap")
	}
}
