package sync_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	wsync "github.com/weftio/weft/sync"
)

func TestOnce_RunsOnce(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var o wsync.Once
		var log []string
		runs := 0
		do := func(ctx context.Context) error {
			return o.Do(ctx, func(ctx context.Context) error {
				runs++
				return fiber.Sleep(ctx, time.Second) // an initialisation that parks
			})
		}
		ws := startAll(ctx, &log, do, "a", "b", "c")
		for _, w := range ws {
			wantErr(t, w.name, w.result(ctx), nil)
		}
		wantErr(t, "Do after success", o.Do(cancelled(ctx), func(context.Context) error {
			t.Error("fn ran again")
			return nil
		}), nil)
		if runs != 1 {
			t.Errorf("fn ran %d times", runs)
		}
		wantLog(t, log, "a", "b", "c")
		return nil
	})
}

// TestOnce_FailurePassesTurn: a failed run does not count; the first
// waiter runs its own fn next, and so on, first in first out.
func TestOnce_FailurePassesTurn(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var o wsync.Once
		var ran []string
		errFail := errors.New("fail")
		do := func(name string, err error) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				return o.Do(ctx, func(ctx context.Context) error {
					ran = append(ran, name)
					settle(ctx)
					return err
				})
			}
		}
		a := start(ctx, nil, "a", do("a", errFail))
		b := start(ctx, nil, "b", do("b", errFail))
		c := start(ctx, nil, "c", do("c", nil))
		d := start(ctx, nil, "d", do("d", nil))
		wantErr(t, "a", a.result(ctx), errFail)
		wantErr(t, "b", b.result(ctx), errFail)
		wantErr(t, "c", c.result(ctx), nil)
		wantErr(t, "d", d.result(ctx), nil)
		wantLog(t, ran, "a", "b", "c")
		if done, running, waiters := wsync.OnceState(&o); !done || running || waiters != 0 {
			t.Errorf("done %v, running %v, %d waiters", done, running, waiters)
		}
		return nil
	})
}

// TestOnce_RetryAfterFailure: a failed run with nobody waiting leaves the
// Once as new.
func TestOnce_RetryAfterFailure(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var o wsync.Once
		errFail := errors.New("fail")
		wantErr(t, "first", o.Do(ctx, func(context.Context) error { return errFail }), errFail)
		if done, running, _ := wsync.OnceState(&o); done || running {
			t.Errorf("done %v, running %v after a failure", done, running)
		}
		ran := false
		wantErr(t, "second", o.Do(ctx, func(context.Context) error { ran = true; return nil }), nil)
		if !ran {
			t.Error("fn did not run again after a failure")
		}
		return nil
	})
}

func TestOnce_PanicPassesTurn(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var o wsync.Once
		a := start(ctx, nil, "a", func(ctx context.Context) error {
			return o.Do(ctx, func(ctx context.Context) error {
				settle(ctx)
				panic("boom")
			})
		})
		var log []string
		b := start(ctx, &log, "b", func(ctx context.Context) error {
			return o.Do(ctx, func(context.Context) error { return nil })
		})
		if err := a.result(ctx); err == nil || !strings.Contains(err.Error(), "boom") {
			t.Errorf("a: %v, want the panic", err)
		}
		wantErr(t, "b", b.result(ctx), nil)
		wantLog(t, log, "b")
		return nil
	})
}

func TestOnce_Cancel(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var o wsync.Once
		var ran []string
		var release wsync.Event
		errFail := errors.New("fail")
		do := func(name string, err error) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				return o.Do(ctx, func(ctx context.Context) error {
					ran = append(ran, name)
					release.Wait(context.WithoutCancel(ctx))
					return err
				})
			}
		}
		var ws []*waiting
		ws = []*waiting{
			start(ctx, nil, "a", func(ctx context.Context) error {
				err := do("a", errFail)(ctx)
				// The turn has just been handed to c, which has not run:
				// cancelled now, c runs fn all the same.
				ws[2].cancel()
				return err
			}),
			start(ctx, nil, "b", do("b", nil)),
			start(ctx, nil, "c", do("c", nil)),
			start(ctx, nil, "d", do("d", nil)),
		}
		settle(ctx)
		ws[1].cancel() // b gives up waiting: it runs nothing
		wantErr(t, "b", ws[1].result(ctx), context.Canceled)
		if _, _, waiters := wsync.OnceState(&o); waiters != 2 {
			t.Errorf("%d waiters, want 2", waiters)
		}
		release.Set() // a fails: the turn goes to c
		wantErr(t, "a", ws[0].result(ctx), errFail)
		wantErr(t, "c", ws[2].result(ctx), nil)
		wantErr(t, "d", ws[3].result(ctx), nil)
		wantLog(t, ran, "a", "c")
		wantErr(t, "Do with a done context", o.Do(cancelled(ctx), nil), nil)
		return nil
	})
}

func TestOnce_Deadlock(t *testing.T) {
	wantDeadlock(t, "Once.Do", func(ctx context.Context) error {
		var o wsync.Once
		return o.Do(ctx, func(ctx context.Context) error {
			return o.Do(ctx, func(context.Context) error { return nil })
		})
	})
}
