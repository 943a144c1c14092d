package future_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"time"

	"github.com/weftio/weft/future"
	"github.com/weftio/weft/loop"
)

// A pipeline written with futures: fetch each page (a blocking call, run on
// the offload pool), parse it, store the number, and gather every outcome.
// The store is a plain map: only the loop touches it, so it needs no lock.
func Example_pipeline() {
	l, _ := loop.New()
	go l.Run()
	defer l.Close()

	pages := map[string]string{"/a": "3", "/b": "4", "/c": "three"}
	fetch := func(path string) *future.Future[string] {
		return future.Offload(l, func(ctx context.Context) (string, error) {
			body, ok := pages[path] // a file read or an HTTP call goes here
			if !ok {
				return "", fs.ErrNotExist
			}
			return body, nil
		})
	}
	store := map[string]int{}
	pipeline := func(path string) *future.Future[int] {
		body := future.Timeout(fetch(path), time.Second)
		n := future.Then(body, strconv.Atoi)
		return future.Map(n, func(n int) int {
			store[path] = n // runs on the loop
			return n
		})
	}

	all := future.AllSettled(l, []*future.Future[int]{
		pipeline("/a"), pipeline("/b"), pipeline("/c"), pipeline("/d"),
	})
	results, _ := all.Wait(context.Background())
	for _, r := range results {
		switch {
		case errors.Is(r.Err, fs.ErrNotExist):
			fmt.Println("missing")
		case r.Err != nil:
			fmt.Println("error:", r.Err)
		default:
			fmt.Println(r.Value)
		}
	}
	// Output:
	// 3
	// 4
	// error: strconv.Atoi: parsing "three": invalid syntax
	// missing
}

// A future and the promise that settles it. Reactions run on the loop, in
// the order they were registered, never inside the call that settles.
func ExampleNew() {
	l, _ := loop.New()
	go l.Run()
	defer l.Close()

	f, p := future.New[string](l)
	done := make(chan struct{})
	_ = l.Post(func() {
		f.OnSettled(func(v string, err error) { fmt.Println("first:", v) })
		f.OnSettled(func(v string, err error) { fmt.Println("second:", v); close(done) })
		p.Resolve("hello")
		fmt.Println("resolved")
		p.Resolve("ignored: the first settle wins")
	})
	<-done
	// Output:
	// resolved
	// first: hello
	// second: hello
}

// Retry with capped exponential backoff, on a loop whose clock is virtual
// so the example does not wait.
func ExampleRetry() {
	l, _ := loop.New(loop.WithVirtualTime(time.Unix(0, 0)))
	go l.Run()
	defer l.Close()

	start := l.Now()
	flaky := func(n int) *future.Future[string] {
		fmt.Printf("attempt %d at %v\n", n, time.Duration(l.Now()-start))
		if n < 3 {
			return future.Rejected[string](l, errors.New("busy"))
		}
		return future.Resolved(l, "done")
	}
	b := future.Backoff{Attempts: 5, Initial: 100 * time.Millisecond, Max: time.Second}
	v, err := future.Retry(l, b, flaky).Wait(context.Background())
	fmt.Println(v, err)
	// Output:
	// attempt 1 at 0s
	// attempt 2 at 100ms
	// attempt 3 at 300ms
	// done <nil>
}

// Follow adopts another future's outcome; a future that would wait for
// itself is rejected instead of hanging.
func ExamplePromise_Follow() {
	l, _ := loop.New()
	go l.Run()
	defer l.Close()

	inner, resolveInner := future.New[int](l)
	outer, resolveOuter := future.New[int](l)
	resolveOuter.Follow(inner)
	resolveInner.Resolve(42)
	fmt.Println(outer.Wait(context.Background()))

	self, p := future.New[int](l)
	p.Follow(self)
	_, err := self.Wait(context.Background())
	fmt.Println(errors.Is(err, future.ErrCycle))
	// Output:
	// 42 <nil>
	// true
}
