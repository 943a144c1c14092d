//go:build linux

package fs

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/weftio/weft/internal/uring"
	"github.com/weftio/weft/loop"
)

// Backend names how a loop's file operations are carried out.
type Backend uint8

const (
	// Auto uses io_uring when the kernel offers it and the worker pool
	// otherwise; WEFT_IO_URING=0 or 1 overrides it.
	Auto Backend = iota
	// IOUring submits operations to an io_uring and fails (Configure, or
	// the first operation) if io_uring cannot be used.
	IOUring
	// Pool runs operations as blocking system calls on weft's offload
	// pool, the one behind fiber.Blocking.
	Pool
)

func (b Backend) String() string {
	switch b {
	case Auto:
		return "auto"
	case IOUring:
		return "io_uring"
	case Pool:
		return "pool"
	}
	return fmt.Sprintf("Backend(%d)", uint8(b))
}

// EnvIOUring is the environment variable that chooses the back-end when
// no option does: "0" forces the worker pool, "1" requires io_uring.
// libuv's UV_USE_IO_URING is the model.
const EnvIOUring = "WEFT_IO_URING"

// An Option configures a loop's file I/O (Configure).
type Option func(*config)

type config struct {
	backend Backend
	entries uint32
}

// WithBackend chooses the back-end, overriding WEFT_IO_URING.
func WithBackend(b Backend) Option { return func(c *config) { c.backend = b } }

// WithRingEntries sets the size of the io_uring submission queue (a power
// of two, default 256); the completion queue is twice as large, and at
// most that many operations are in flight on the loop at once (the rest
// wait their turn in submission order).
func WithRingEntries(n uint32) Option { return func(c *config) { c.entries = n } }

// a backend carries out a loop's ops. Loop goroutine only.
type backend interface {
	// start begins o; its completion comes later, on the loop, except
	// when o fails at once (the kernel refused its submission): then it
	// completes inside start, and the caller must look at o.done before
	// it parks.
	start(o *op)
	// cancel asks for o, in flight, to end early; its completion (with
	// -ECANCELED, or its result if it was too late) still comes.
	cancel(o *op)
	// close ends the back-end when the loop closes: it waits until the
	// kernel is done with every buffer in flight.
	close()
}

// state is what the package keeps per loop.
type state struct {
	l     *loop.Loop
	kind  Backend // IOUring or Pool, once chosen
	be    backend
	err   error // why no back-end could be made
	files []*File

	// nowaitRun counts bytes read by the page-cache fast path since the
	// fiber last parked, to make a long run of hits yield (readNowait).
	nowaitRun int
}

var (
	states  sync.Map // *loop.Loop -> *state
	configs sync.Map // *loop.Loop -> config, set by Configure before first use
)

// ringAvailable reports whether io_uring can be used; tests replace it.
var ringAvailable = uring.Available

// Configure sets the options for l's file I/O. It must come before the
// first file operation on l, and fails otherwise; with IOUring it fails at
// once if io_uring cannot be used. Safe from any goroutine.
func Configure(l *loop.Loop, opts ...Option) error {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if _, ok := states.Load(l); ok {
		return errors.New("fs: Configure after the loop's first file operation")
	}
	if c.backend == IOUring {
		if err := ringAvailable(); err != nil {
			return fmt.Errorf("fs: io_uring required (WithBackend(IOUring)) but unavailable: %w", err)
		}
	}
	configs.Store(l, c)
	return nil
}

// BackendOf returns the back-end l's file operations use (IOUring or
// Pool), choosing it now if no operation has yet. Loop goroutine only.
func BackendOf(l *loop.Loop) (Backend, error) {
	st := stateOf(l)
	return st.kind, st.err
}

// choose picks the back-end: the option, else WEFT_IO_URING, else io_uring
// when available. It is the one place where the choice is made.
func choose(c config) (Backend, error) {
	want := c.backend
	if want == Auto {
		switch v := os.Getenv(EnvIOUring); v {
		case "", "auto":
		case "0":
			want = Pool
		case "1":
			want = IOUring
		default:
			return 0, fmt.Errorf("fs: %s=%q: want 0, 1 or unset", EnvIOUring, v)
		}
	}
	switch want {
	case Pool:
		return Pool, nil
	case IOUring:
		if err := ringAvailable(); err != nil {
			return 0, fmt.Errorf("fs: io_uring required (%s=1 or WithBackend(IOUring)) but unavailable: %w", EnvIOUring, err)
		}
		return IOUring, nil
	}
	if ringAvailable() == nil {
		return IOUring, nil
	}
	return Pool, nil
}

// stateOf returns l's state, making it (and choosing the back-end) the
// first time. Loop goroutine only.
func stateOf(l *loop.Loop) *state {
	if v, ok := states.Load(l); ok {
		return v.(*state)
	}
	var c config
	if v, ok := configs.LoadAndDelete(l); ok {
		c = v.(config)
	}
	st := &state{l: l}
	st.kind, st.err = choose(c)
	if st.err == nil {
		switch st.kind {
		case IOUring:
			st.be, st.err = newRing(l, c.entries)
		case Pool:
			st.be = newPool(l)
		}
	}
	states.Store(l, st)
	l.OnClose(func() {
		states.Delete(l)
		if st.be != nil {
			st.be.close()
		}
		// Files left open are closed with the loop: no fd outlives it.
		for len(st.files) > 0 {
			st.files[len(st.files)-1].closeFd() // removes it
		}
	})
	return st
}

// addFile and removeFile keep the loop's open files.
func (st *state) addFile(f *File) {
	f.sidx = int32(len(st.files))
	st.files = append(st.files, f)
}

func (st *state) removeFile(f *File) {
	i := f.sidx
	if i < 0 {
		return
	}
	last := st.files[len(st.files)-1]
	st.files[i] = last
	last.sidx = i
	st.files = st.files[:len(st.files)-1]
	f.sidx = -1
}
