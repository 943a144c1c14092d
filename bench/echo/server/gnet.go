//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"
)

// gnetEcho is gnet's echo: OnTraffic writes back everything buffered.
type gnetEcho struct {
	gnet.BuiltinEventEngine
	st   *stats
	boot chan gnet.Engine
}

func (h *gnetEcho) OnBoot(e gnet.Engine) gnet.Action {
	h.boot <- e
	return gnet.None
}

func (h *gnetEcho) OnOpen(gnet.Conn) ([]byte, gnet.Action) {
	h.st.accepted.Add(1)
	return nil, gnet.None
}

func (h *gnetEcho) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Next(-1)
	if _, err := c.Write(buf); err != nil {
		h.st.connError(err)
		return gnet.Close
	}
	return gnet.None
}

func (h *gnetEcho) OnClose(_ gnet.Conn, err error) gnet.Action {
	h.st.closed.Add(1)
	if !expected(err) {
		h.st.connError(err)
	}
	return gnet.None
}

// quietLog is gnet's logger here: warnings and errors to stderr, nothing
// else (gnet's default logger prints its start-up line on stdout).
type quietLog struct{}

func (quietLog) Debugf(string, ...any) {}
func (quietLog) Infof(string, ...any)  {}
func (quietLog) Warnf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "gnet: warning: "+f+"\n", a...)
}
func (quietLog) Errorf(f string, a ...any) { fmt.Fprintf(os.Stderr, "gnet: error: "+f+"\n", a...) }
func (quietLog) Fatalf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "gnet: fatal: "+f+"\n", a...)
	os.Exit(1)
}

// startGnet serves echo with gnet v2, multicore (an event loop per CPU).
// gnet does not tell the port it chose for ":0": one is picked here first.
func startGnet(addr string, st *stats) (*server, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if port == "0" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, err
		}
		addr = ln.Addr().String()
		ln.Close()
	}
	logging.SetDefaultLoggerAndFlusher(quietLog{}, func() error { return nil })
	h := &gnetEcho{st: st, boot: make(chan gnet.Engine, 1)}
	exited := make(chan struct{})
	var runErr error
	go func() {
		defer close(exited)
		runErr = gnet.Run(h, "tcp://"+addr,
			gnet.WithMulticore(true),
			gnet.WithLogger(quietLog{}))
	}()
	var eng gnet.Engine
	select {
	case eng = <-h.boot:
	case <-exited:
		return nil, errors.Join(errors.New("gnet stopped before it booted"), runErr)
	}
	// OnBoot runs once the listening socket is open; the event loops start
	// right after it and accept what waits in the backlog.
	return &server{addr: addr, exited: exited, stop: func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := eng.Stop(ctx)
		<-exited
		return errors.Join(err, runErr)
	}}, nil
}
