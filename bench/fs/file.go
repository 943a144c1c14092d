//go:build linux

package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// block is the unit of the test file's layout: each begins with an 8-byte
// header, its index xor headerMagic (little-endian), the rest random.
const (
	block       = 4096
	headerMagic = 0x5765667446734221 // "WeftFs!" and a bit: not a count anyone writes by chance
)

// tmpfsMagic is statfs's f_type of tmpfs: memory, not a disk.
const tmpfsMagic = 0x01021994

// prepareFile writes the test file of size bytes at name, unless one is
// there with that size and its headers where they should be, and fsyncs
// it. It prints what it did on stderr.
func prepareFile(name string, size int64) error {
	if size <= 0 || size%(128<<10) != 0 {
		return fmt.Errorf("-size %d: want a positive multiple of 128 KiB", size)
	}
	dir := filepath.Dir(name)
	var sfs unix.Statfs_t
	if err := unix.Statfs(dir, &sfs); err != nil {
		return fmt.Errorf("statfs %s: %w", dir, err)
	}
	if sfs.Type == tmpfsMagic {
		return fmt.Errorf("%s is on tmpfs: the benchmark needs a file on a disk", dir)
	}
	if good(name, size) {
		fmt.Fprintf(os.Stderr, "fsbench: %s is ready (%d bytes)\n", name, size)
		return nil
	}
	t0 := time.Now()
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	rng := rand.NewChaCha8([32]byte{'w', 'e', 'f', 't'})
	buf := make([]byte, 4<<20)
	for off := int64(0); off < size; off += int64(len(buf)) {
		b := buf[:min(int64(len(buf)), size-off)]
		_, _ = rng.Read(b)
		for i := 0; i < len(b); i += block {
			binary.LittleEndian.PutUint64(b[i:], uint64(off+int64(i))/block^headerMagic)
		}
		if _, err := f.Write(b); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "fsbench: wrote and fsynced %s (%d bytes) in %v\n", name, size, time.Since(t0).Round(time.Millisecond))
	return nil
}

// good reports whether name is a test file of size bytes: the size
// matches and a few blocks' headers are right.
func good(name string, size int64) bool {
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() != size {
		return false
	}
	buf := make([]byte, block)
	n := size / block
	for _, i := range []int64{0, 1, n / 3, n / 2, n - 1} {
		if _, err := f.ReadAt(buf, i*block); err != nil || !checkBlocks(buf, i*block) {
			return false
		}
	}
	return true
}

// checkBlocks reports whether b, read at off, holds the headers of the
// blocks it covers.
func checkBlocks(b []byte, off int64) bool {
	for i := 0; i+8 <= len(b); i += block {
		if binary.LittleEndian.Uint64(b[i:]) != uint64(off+int64(i))/block^headerMagic {
			return false
		}
	}
	return true
}

// setCache puts name's pages in the page cache in the state want asks
// for, and returns the percentage of them cached after that.
func setCache(name, want string) (float64, error) {
	switch want {
	case cacheCold:
		f, err := os.Open(name)
		if err != nil {
			return 0, err
		}
		err = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
		f.Close()
		if err != nil {
			return 0, fmt.Errorf("fadvise DONTNEED: %w", err)
		}
	case cacheWarm:
		// Read it all, as cat does. Pages can leave the cache while it
		// reads (something else on the machine reclaiming or dropping
		// caches): read it again, up to twice, while some are missing.
		for range 3 {
			if err := readAll(name); err != nil {
				return 0, err
			}
			if pct, err := cachedPct(name); err != nil || pct >= 99.9 {
				return pct, err
			}
		}
	}
	return cachedPct(name)
}

// readAll reads name from start to end.
func readAll(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		_, err := f.Read(buf)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// cachedPct returns the percentage of name's pages in the page cache, by
// mincore(2) over a mapping of it (which faults nothing in).
func cachedPct(name string) (float64, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return 0, err
	}
	m, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return 0, fmt.Errorf("mmap: %w", err)
	}
	defer unix.Munmap(m)
	pg := int64(os.Getpagesize())
	vec := make([]byte, (fi.Size()+pg-1)/pg)
	// golang.org/x/sys/unix has no Mincore wrapper.
	_, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0])))
	if e != 0 {
		return 0, fmt.Errorf("mincore: %w", e)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return float64(n) / float64(len(vec)) * 100, nil
}
