// Package fs is weft's file I/O: files read and written from fibers (and
// from loop tasks, through futures) without blocking the loop, through
// io_uring's completion queue on Linux, or through a worker pool where
// io_uring is missing, disabled or refused.
//
// # The fiber face
//
// Open, Create and OpenFile return a *File that belongs to the calling
// fiber's loop. Its methods park the calling fiber until the kernel has
// done the work, so in a fiber a File is an io.Reader, io.Writer,
// io.ReaderAt, io.WriterAt, io.Seeker and io.Closer, and code written for
// *os.File (io.Copy, bufio, encoding/json) runs unchanged:
//
//	f, err := fs.Open(ctx, "data.bin")
//	if err != nil {
//		return err
//	}
//	defer f.Close()
//	buf := make([]byte, 4096)
//	n, err := f.ReadAt(buf, 1<<20)
//
// ReadFile, WriteFile (atomic: temporary file, fsync, rename, fsync of the
// directory), Stat, Lstat, Remove, Rename, Mkdir and ReadDir work on
// paths. Errors are what the os package returns: *fs.PathError (and
// *os.LinkError for Rename) wrapping the errno, so errors.Is(err,
// fs.ErrNotExist) works; short reads and io.EOF are as os.File has them.
//
// # Cancellation
//
// An operation in flight is cancelled when its context ends (the fiber's
// own for File methods, the one passed in for the rest): io_uring is
// asked to cancel it (IORING_OP_ASYNC_CANCEL), and the call returns the
// context's error only once the kernel has given the operation back, so a
// buffer is never written after the call returns. An operation that
// completed anyway reports its result: a write that happened is never
// reported as not done. A system call running on the worker pool cannot
// be cancelled; the call returns when it does. File.Close cancels the
// file's operations in flight (they fail with os.ErrClosed) and waits for
// them before closing the descriptor.
//
// # The future face
//
// OpenAsync and File's ReadAtAsync, WriteAtAsync and SyncAsync start an
// operation from code on the loop that is not a fiber and return a future
// of the loop (package weft/future); until it settles, the buffer belongs
// to the operation.
//
// # Back-ends
//
// Each loop has one back-end, chosen at its first file operation in one
// place (choose, in backend.go): WithBackend passed to Configure, else the
// environment variable WEFT_IO_URING ("0" forces the worker pool, "1"
// requires io_uring and fails clearly without it), else io_uring when the
// kernel offers it (not disabled by /proc/sys/kernel/io_uring_disabled,
// not refused by seccomp) and the worker pool otherwise.
//
// With io_uring, reads, writes and fsyncs started during a loop turn are
// submitted in batches of up to 8, the rest in one io_uring_enter just
// before the loop polls; completions wake the loop through an eventfd in
// its poller; at most twice the ring's entries are in flight (the rest
// wait in order), so the completion queue never overflows. Metadata
// operations (open, stat, rename, remove, mkdir) go to the offload pool
// even then: io_uring hands them to a kernel worker thread, which cost
// more than the pool on the machines measured (docs/fs.md). The worker back-end runs blocking system calls on weft's
// offload pool (the one fiber.Blocking uses: at most max(4, GOMAXPROCS)
// at once). With either, a buffered read first tries the page cache
// without blocking (preadv2 with RWF_NOWAIT): a hit costs one system call
// on the loop, as os.File.ReadAt does, and a fiber yields to the others
// after each MiB read that way. ReadDir has no io_uring form and always
// runs on the pool.
//
// # Who may call what
//
// File methods are for the fibers of the file's loop (from anywhere else
// they return ErrNotFiber); Close may also be called from a plain task of
// the loop. The path functions take a fiber's context. The future face is
// for the loop's goroutine. Files still open when their loop closes are
// closed with it, after the kernel has given back every operation in
// flight.
//
// # Limits
//
// Linux only: on other systems the package is empty. docs/fs.md has the
// design and measured figures.
package fs
