//go:build linux

package fs

import (
	"io/fs"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// statxMask is what Stat asks statx for: what os.Stat reports.
const statxMask = unix.STATX_BASIC_STATS

// fileInfo is an fs.FileInfo made from a statx result. Sys returns a
// *syscall.Stat_t, as os.Stat's does, so code that inspects it works
// unchanged.
type fileInfo struct {
	name string
	size int64
	mode fs.FileMode
	mod  time.Time
	sys  syscall.Stat_t
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.size }
func (fi *fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi *fileInfo) ModTime() time.Time { return fi.mod }
func (fi *fileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi *fileInfo) Sys() any           { return &fi.sys }

func newFileInfo(name string, st *unix.Statx_t) *fileInfo {
	fi := &fileInfo{
		name: name,
		size: int64(st.Size),
		mode: fileMode(uint32(st.Mode)),
		mod:  time.Unix(st.Mtime.Sec, int64(st.Mtime.Nsec)),
	}
	s := &fi.sys
	s.Dev = unix.Mkdev(st.Dev_major, st.Dev_minor)
	s.Ino = st.Ino
	s.Nlink = uint64(st.Nlink)
	s.Mode = uint32(st.Mode)
	s.Uid = st.Uid
	s.Gid = st.Gid
	s.Rdev = unix.Mkdev(st.Rdev_major, st.Rdev_minor)
	s.Size = int64(st.Size)
	s.Blksize = int64(st.Blksize)
	s.Blocks = int64(st.Blocks)
	s.Atim = syscall.Timespec{Sec: st.Atime.Sec, Nsec: int64(st.Atime.Nsec)}
	s.Mtim = syscall.Timespec{Sec: st.Mtime.Sec, Nsec: int64(st.Mtime.Nsec)}
	s.Ctim = syscall.Timespec{Sec: st.Ctime.Sec, Nsec: int64(st.Ctime.Nsec)}
	return fi
}

// fileMode converts st_mode as os.Stat does.
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	}
	if m&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// sysMode converts a FileMode to open(2) and mkdir(2) mode bits, as the
// os package does.
func sysMode(m fs.FileMode) uint32 {
	o := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		o |= unix.S_ISUID
	}
	if m&fs.ModeSetgid != 0 {
		o |= unix.S_ISGID
	}
	if m&fs.ModeSticky != 0 {
		o |= unix.S_ISVTX
	}
	return o
}
