// Package fs is weft's file I/O: files read and written from fibers (and
// from loop tasks, through futures) without blocking the loop, through
// io_uring on Linux or, where io_uring is missing, disabled or refused, a
// worker pool.
//
// Open, Create and OpenFile return a *File of the calling fiber's loop. Its
// methods park the fiber until the kernel has done the work, so in a fiber
// a File is an io.Reader, io.Writer, io.ReaderAt, io.WriterAt, io.Seeker
// and io.Closer, and code written for *os.File runs unchanged:
//
//	f, err := fs.Open(ctx, "data.bin")
//	if err != nil {
//		return err
//	}
//	defer f.Close()
//	n, err := f.ReadAt(buf, 1<<20)
//
// ReadFile, WriteFile (atomic: temporary file, fsync, rename, fsync of the
// directory), Stat, Lstat, Remove, Rename, Mkdir and ReadDir work on paths.
// Errors, short reads and io.EOF are what package os gives: *fs.PathError
// wrapping the errno, so errors.Is(err, fs.ErrNotExist) works.
//
// Cancellation: when the context of a call in flight ends (the fiber's own
// for File methods), the operation is cancelled in the kernel and the call
// returns the context's error only once the kernel has given the buffer
// back. An operation that completed anyway reports its result. File.Close
// cancels the file's operations (they fail with os.ErrClosed) and waits
// for them before it closes the descriptor. A system call running on the
// worker pool cannot be cancelled; the call returns when it does.
//
// The future face (OpenAsync, ReadAtAsync, WriteAtAsync, SyncAsync) is for
// loop code that is not a fiber; until the future settles, the buffer
// belongs to the operation.
//
// Back-ends: each loop gets one at its first file operation, chosen in one
// place: Configure's WithBackend, else WEFT_IO_URING ("0" forces the pool,
// "1" requires io_uring and fails clearly without it), else io_uring when
// the kernel offers it. Reads, writes and fsyncs go through the loop's
// ring, submitted in batches once per loop turn; metadata operations and
// ReadDir go to the offload pool, which was faster for them. Buffered
// reads first try the page cache without blocking (preadv2 RWF_NOWAIT), at
// the cost of os.File.ReadAt.
//
// File methods are for the fibers of the file's loop (elsewhere they
// return ErrNotFiber); Close may also be called from a plain task of the
// loop. Files still open when their loop closes are closed with it. Linux
// only: on other systems the package is empty. docs/fs.md has the design,
// its measurements and the limits.
package fs
