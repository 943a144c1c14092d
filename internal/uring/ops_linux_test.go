package uring_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weftio/weft/internal/uring"
)

// cstr returns s NUL-terminated, on the heap, for the path-taking Preps.
func cstr(t *testing.T, s string) *byte {
	t.Helper()
	p, err := unix.BytePtrFromString(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// openFile opens path with flags for t's length.
func openFile(t *testing.T, path string, flags int) int {
	t.Helper()
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// wantRes fails t unless res is want; a negative res is shown as an errno.
func wantRes(t *testing.T, what string, res, want int32) {
	t.Helper()
	if res == want {
		return
	}
	got, exp := any(res), any(want)
	if res < 0 {
		got = unix.Errno(-res)
	}
	if want < 0 {
		exp = unix.Errno(-want)
	}
	t.Fatalf("%s: Res = %v, want %v", what, got, exp)
}

// chunk is a piece of a file: [off, off+len(buf)).
type chunk struct {
	off int
	buf []byte
}

// chunks cuts size bytes into pieces of 1 byte to 16 KiB, in random order.
func chunks(rng *rand.Rand, size int) []chunk {
	var cs []chunk
	for off := 0; off < size; {
		n := min(1+rng.IntN(16<<10), size-off)
		cs = append(cs, chunk{off, make([]byte, n)})
		off += n
	}
	rng.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
	return cs
}

// TestRing_WriteRead writes random data at random offsets with 32
// operations in flight at a time, then reads it back cut differently, and
// compares.
func TestRing_WriteRead(t *testing.T) {
	const size, inFlight = 3<<20 + 123, 32
	r := newRing(t, uring.Config{Entries: inFlight})
	rng := rand.New(rand.NewPCG(testSeed(t), 0))
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	path := filepath.Join(t.TempDir(), "data")
	fd := openFile(t, path, unix.O_RDWR|unix.O_CREAT)

	// batches runs op on every chunk, inFlight at a time, and checks that
	// each transferred its whole length.
	batches := func(what string, cs []chunk, op func(s *uring.SQE, c chunk)) {
		t.Helper()
		for len(cs) > 0 {
			batch := cs[:min(inFlight, len(cs))]
			cs = cs[len(batch):]
			preps := make([]func(*uring.SQE), len(batch))
			for i, c := range batch {
				preps[i] = func(s *uring.SQE) { op(s, c) }
			}
			for i, c := range do(t, r, preps...) {
				wantRes(t, what, c.Res, int32(len(batch[i].buf)))
			}
		}
	}

	writes := chunks(rng, size)
	for _, c := range writes {
		copy(c.buf, data[c.off:])
	}
	batches("write", writes, func(s *uring.SQE, c chunk) { s.PrepWrite(fd, c.buf, uint64(c.off)) })
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the file does not hold what was written (err %v)", err)
	}

	reads := chunks(rng, size)
	batches("read", reads, func(s *uring.SQE, c chunk) { s.PrepRead(fd, c.buf, uint64(c.off)) })
	for _, c := range reads {
		if !bytes.Equal(c.buf, data[c.off:c.off+len(c.buf)]) {
			t.Fatalf("read of %d bytes at %d does not match what was written", len(c.buf), c.off)
		}
	}
}

// TestRing_ReadCurrentPosition reads at offset ^0, which uses and advances
// the file position.
func TestRing_ReadCurrentPosition(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 4})
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("abcdef"), 0o644); err != nil {
		t.Fatal(err)
	}
	fd := openFile(t, path, unix.O_RDONLY)
	buf := make([]byte, 4)
	for _, want := range []string{"abcd", "ef", ""} {
		res := do1(t, r, func(s *uring.SQE) { s.PrepRead(fd, buf, ^uint64(0)) })
		if res < 0 || string(buf[:res]) != want {
			t.Fatalf("read at the current position: Res %d %q, want %q", res, buf[:max(res, 0)], want)
		}
	}
}

// TestRing_ReadEOF reads across the end of a file: a short count, then 0.
func TestRing_ReadEOF(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 4})
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, bytes.Repeat([]byte{7}, 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	fd := openFile(t, path, unix.O_RDONLY)
	buf := make([]byte, 4096)
	wantRes(t, "read across EOF", do1(t, r, func(s *uring.SQE) { s.PrepRead(fd, buf, 900) }), 100)
	wantRes(t, "read at EOF", do1(t, r, func(s *uring.SQE) { s.PrepRead(fd, buf, 1000) }), 0)
	wantRes(t, "read past EOF", do1(t, r, func(s *uring.SQE) { s.PrepRead(fd, buf, 5000) }), 0)
	wantRes(t, "read of a bad fd", do1(t, r, func(s *uring.SQE) { s.PrepRead(-1, buf, 0) }), -int32(unix.EBADF))
}

// TestRing_OpenWriteClose creates a file through the ring, writes to it
// and closes it, and checks the result from outside.
func TestRing_OpenWriteClose(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 4})
	dir := t.TempDir()
	path := filepath.Join(dir, "new")

	fd := do1(t, r, func(s *uring.SQE) {
		s.PrepOpenat(unix.AT_FDCWD, cstr(t, path), unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
	})
	if fd < 0 {
		t.Fatalf("openat: %v", unix.Errno(-fd))
	}
	msg := []byte("hello, ring")
	wantRes(t, "write", do1(t, r, func(s *uring.SQE) { s.PrepWrite(int(fd), msg, 0) }), int32(len(msg)))
	wantRes(t, "close", do1(t, r, func(s *uring.SQE) { s.PrepClose(int(fd)) }), 0)
	wantRes(t, "close again", do1(t, r, func(s *uring.SQE) { s.PrepClose(int(fd)) }), -int32(unix.EBADF))

	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("ReadFile = %q, %v, want %q", got, err, msg)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("Stat = %v, %v, want mode 0600", fi, err)
	}

	// Relative to a directory descriptor, O_EXCL on an existing file.
	dirfd := openFile(t, dir, unix.O_RDONLY|unix.O_DIRECTORY)
	wantRes(t, "openat O_EXCL of an existing file", do1(t, r, func(s *uring.SQE) {
		s.PrepOpenat(dirfd, cstr(t, "new"), unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
	}), -int32(unix.EEXIST))
}

func TestRing_OpenENOENT(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 4})
	path := filepath.Join(t.TempDir(), "missing")
	wantRes(t, "openat of a missing file", do1(t, r, func(s *uring.SQE) {
		s.PrepOpenat(unix.AT_FDCWD, cstr(t, path), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}), -int32(unix.ENOENT))
}

func TestRing_Statx(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 4})
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, make([]byte, 12345), 0o640); err != nil {
		t.Fatal(err)
	}
	st := new(unix.Statx_t)
	wantRes(t, "statx", do1(t, r, func(s *uring.SQE) {
		s.PrepStatx(unix.AT_FDCWD, cstr(t, path), 0, unix.STATX_SIZE|unix.STATX_MODE, st)
	}), 0)
	if st.Mask&unix.STATX_SIZE == 0 || st.Size != 12345 || st.Mode&0o777 != 0o640 || st.Mode&unix.S_IFMT != unix.S_IFREG {
		t.Fatalf("statx: mask %#x size %d mode %o, want size 12345 and a regular file 0640", st.Mask, st.Size, st.Mode)
	}

	// Of a descriptor, with AT_EMPTY_PATH.
	fd := openFile(t, dir, unix.O_RDONLY|unix.O_DIRECTORY)
	*st = unix.Statx_t{}
	wantRes(t, "statx of a descriptor", do1(t, r, func(s *uring.SQE) {
		s.PrepStatx(fd, cstr(t, ""), unix.AT_EMPTY_PATH, unix.STATX_TYPE, st)
	}), 0)
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		t.Fatalf("statx of a directory descriptor: mode %o", st.Mode)
	}

	wantRes(t, "statx of a missing file", do1(t, r, func(s *uring.SQE) {
		s.PrepStatx(unix.AT_FDCWD, cstr(t, path+".missing"), 0, unix.STATX_SIZE, st)
	}), -int32(unix.ENOENT))
}

func TestRing_Fsync(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 4})
	fd := openFile(t, filepath.Join(t.TempDir(), "f"), unix.O_RDWR|unix.O_CREAT)
	buf := []byte("durable")
	res := do(t, r,
		func(s *uring.SQE) { s.PrepWrite(fd, buf, 0) },
		func(s *uring.SQE) { s.PrepFsync(fd, false) },
		func(s *uring.SQE) { s.PrepFsync(fd, true) },
		func(s *uring.SQE) { s.PrepFsync(-1, false) },
	)
	wantRes(t, "write", res[0].Res, int32(len(buf)))
	wantRes(t, "fsync", res[1].Res, 0)
	wantRes(t, "fdatasync", res[2].Res, 0)
	wantRes(t, "fsync of a bad fd", res[3].Res, -int32(unix.EBADF))
}

// TestRing_Dirs makes a directory, renames a file into it, and removes
// both.
func TestRing_Dirs(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 4})
	root := t.TempDir()
	dir, file := filepath.Join(root, "d"), filepath.Join(root, "f")
	moved := filepath.Join(dir, "g")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	wantRes(t, "mkdirat", do1(t, r, func(s *uring.SQE) { s.PrepMkdirat(unix.AT_FDCWD, cstr(t, dir), 0o750) }), 0)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || fi.Mode().Perm()&^0o750 != 0 {
		t.Fatalf("Stat of the new directory: %v, %v", fi, err)
	}
	wantRes(t, "mkdirat of an existing directory",
		do1(t, r, func(s *uring.SQE) { s.PrepMkdirat(unix.AT_FDCWD, cstr(t, dir), 0o750) }), -int32(unix.EEXIST))

	rootfd := openFile(t, root, unix.O_RDONLY|unix.O_DIRECTORY)
	dirfd := openFile(t, dir, unix.O_RDONLY|unix.O_DIRECTORY)
	wantRes(t, "renameat", do1(t, r, func(s *uring.SQE) {
		s.PrepRenameat(rootfd, cstr(t, "f"), dirfd, cstr(t, "g"), 0)
	}), 0)
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("Stat of the renamed file's old name: %v", err)
	}
	if got, err := os.ReadFile(moved); err != nil || string(got) != "x" {
		t.Fatalf("ReadFile of the new name = %q, %v", got, err)
	}
	wantRes(t, "renameat RENAME_NOREPLACE onto an existing name", do1(t, r, func(s *uring.SQE) {
		s.PrepRenameat(unix.AT_FDCWD, cstr(t, moved), unix.AT_FDCWD, cstr(t, moved), unix.RENAME_NOREPLACE)
	}), -int32(unix.EEXIST))

	wantRes(t, "unlinkat of a non-empty directory", do1(t, r, func(s *uring.SQE) {
		s.PrepUnlinkat(unix.AT_FDCWD, cstr(t, dir), unix.AT_REMOVEDIR)
	}), -int32(unix.ENOTEMPTY))
	wantRes(t, "unlinkat", do1(t, r, func(s *uring.SQE) { s.PrepUnlinkat(dirfd, cstr(t, "g"), 0) }), 0)
	wantRes(t, "unlinkat of a missing file",
		do1(t, r, func(s *uring.SQE) { s.PrepUnlinkat(dirfd, cstr(t, "g"), 0) }), -int32(unix.ENOENT))
	wantRes(t, "unlinkat AT_REMOVEDIR", do1(t, r, func(s *uring.SQE) {
		s.PrepUnlinkat(unix.AT_FDCWD, cstr(t, dir), unix.AT_REMOVEDIR)
	}), 0)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("Stat of the removed directory: %v", err)
	}
}

// TestRing_Cancel cancels a read of an empty pipe, which waits in the
// kernel until data comes.
func TestRing_Cancel(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 4})
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil { // blocking: io_uring waits on a poll
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])

	const readID, cancelID = 1, 2
	buf := make([]byte, 16)
	s := r.SQE()
	s.PrepRead(p[0], buf, ^uint64(0))
	s.SetUserData(readID)
	if n, err := r.Submit(); n != 1 || err != nil {
		t.Fatalf("Submit() = %d, %v", n, err)
	}
	if n := r.Reap(func(c uring.CQE) { t.Errorf("CQE %+v before any data or cancel", c) }); n != 0 {
		t.Fatalf("Reap() = %d with the read pending", n)
	}

	s = r.SQE()
	s.PrepCancel(readID, 0)
	s.SetUserData(cancelID)
	if _, err := r.SubmitAndWait(2); err != nil {
		t.Fatal(err)
	}
	got := map[uint64]int32{}
	r.Reap(func(c uring.CQE) { got[c.UserData] = c.Res })
	if len(got) != 2 {
		t.Fatalf("CQEs %v, want the read's and the cancel's", got)
	}
	wantRes(t, "the cancelled read", got[readID], -int32(unix.ECANCELED))
	wantRes(t, "the cancel", got[cancelID], 0)

	wantRes(t, "a cancel that finds nothing", do1(t, r, func(s *uring.SQE) { s.PrepCancel(readID, 0) }), -int32(unix.ENOENT))
}

// TestRing_PipeReadCompletes submits a read of an empty pipe, then writes
// to the pipe: the read completes later, from the kernel's poll, and the
// eventfd says so.
func TestRing_PipeReadCompletes(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 4})
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	buf := make([]byte, 16)
	r.SQE().PrepRead(p[0], buf, ^uint64(0))
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	// Write from another goroutine, likely another thread: the completion
	// runs as task work of the submitting thread, which must still get it.
	done := make(chan error)
	go func() {
		_, err := unix.Write(p[1], []byte("ping"))
		done <- err
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	fds := []unix.PollFd{{Fd: int32(r.EventFD()), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, int(waitLimit.Milliseconds())); err != unix.EINTR {
			break
		}
	}
	if fds[0].Revents&unix.POLLIN == 0 {
		t.Fatalf("the eventfd is not readable %v after the pipe was written", waitLimit)
	}
	r.DrainEventFD()
	var res int32 = -1
	if n := r.Reap(func(c uring.CQE) { res = c.Res }); n != 1 || string(buf[:max(res, 0)]) != "ping" {
		t.Fatalf("Reap() = %d, Res %d, buf %q", n, res, buf)
	}
}

// TestRing_Registered reads and writes through a registered file and a
// registered buffer.
func TestRing_Registered(t *testing.T) {
	r := newRing(t, uring.Config{Entries: 4})
	fd := openFile(t, filepath.Join(t.TempDir(), "f"), unix.O_RDWR|unix.O_CREAT)
	mem := make([]byte, 64<<10)
	for i := range 4096 {
		mem[i] = byte(i * 7)
	}
	if err := r.RegisterBuffers([][]byte{mem}); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterFiles([]int32{-1, int32(fd)}); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterFiles([]int32{int32(fd)}); !errors.Is(err, unix.EBUSY) {
		t.Errorf("second RegisterFiles = %v, want EBUSY", err)
	}
	out, in := mem[:4096], mem[8192:8192+4096]
	wantRes(t, "write fixed", do1(t, r, func(s *uring.SQE) {
		s.PrepWriteFixed(1, out, 512, 0)
		s.SetFlags(uring.SQEFixedFile)
	}), 4096)
	wantRes(t, "read fixed", do1(t, r, func(s *uring.SQE) {
		s.PrepReadFixed(1, in, 512, 0)
		s.SetFlags(uring.SQEFixedFile)
	}), 4096)
	if !bytes.Equal(in, out) {
		t.Fatal("read back through the registered buffer differs")
	}
	outside := make([]byte, 16)
	wantRes(t, "read fixed into an unregistered buffer", do1(t, r, func(s *uring.SQE) {
		s.PrepReadFixed(fd, outside, 0, 0)
	}), -int32(unix.EFAULT))
	wantRes(t, "read of an empty fixed-file slot", do1(t, r, func(s *uring.SQE) {
		s.PrepRead(0, in, 0)
		s.SetFlags(uring.SQEFixedFile)
	}), -int32(unix.EBADF))
	if err := r.UnregisterFiles(); err != nil {
		t.Fatal(err)
	}
	if err := r.UnregisterBuffers(); err != nil {
		t.Fatal(err)
	}
	if err := r.UnregisterBuffers(); !errors.Is(err, unix.ENXIO) {
		t.Errorf("second UnregisterBuffers = %v, want ENXIO", err)
	}
}

// TestRing_ThreadHopping submits each read from a different OS thread,
// one at a time as a loop does when its goroutine moves, and leaves every
// submitting thread asleep. The reads complete as task work of the thread
// that submitted them, which the kernel must wake to post the CQEs.
func TestRing_ThreadHopping(t *testing.T) {
	const n = 8
	r := newRing(t, uring.Config{Entries: n})
	pipes := make([][2]int, n)
	bufs := make([][]byte, n)
	for i := range pipes {
		if err := unix.Pipe2(pipes[i][:], unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		defer unix.Close(pipes[i][0])
		defer unix.Close(pipes[i][1])
		bufs[i] = make([]byte, 8)
	}

	release := make(chan struct{})
	var wg sync.WaitGroup
	tids := make(map[int]bool)
	for i := range n {
		submitted := make(chan int)
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread() // exiting locked would end the thread
			s := r.SQE()
			s.PrepRead(pipes[i][0], bufs[i], ^uint64(0))
			s.SetUserData(uint64(i))
			if _, err := r.Submit(); err != nil {
				t.Error(err)
			}
			submitted <- unix.Gettid()
			<-release // the thread sleeps here, holding its task work
		})
		tids[<-submitted] = true
	}
	defer func() { close(release); wg.Wait() }()
	t.Logf("submitted from %d threads", len(tids))

	for i := range pipes {
		if _, err := unix.Write(pipes[i][1], []byte{byte('a' + i)}); err != nil {
			t.Fatal(err)
		}
	}
	got := 0
	deadline := time.Now().Add(waitLimit)
	for got < n && time.Now().Before(deadline) {
		fds := []unix.PollFd{{Fd: int32(r.EventFD()), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, int(time.Until(deadline).Milliseconds())+1); err != nil && err != unix.EINTR {
			t.Fatal(err)
		}
		r.DrainEventFD()
		r.Reap(func(c uring.CQE) {
			if c.Res != 1 || bufs[c.UserData][0] != byte('a'+c.UserData) {
				t.Errorf("read %d: Res %d, %q", c.UserData, c.Res, bufs[c.UserData][:1])
			}
			got++
		})
	}
	if got != n {
		t.Fatalf("%d of %d reads completed within %v", got, n, waitLimit)
	}
}
