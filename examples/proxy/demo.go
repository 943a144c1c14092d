//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
)

// demoWhat says what the demo upstream of a mode does.
func demoWhat(mode string) string {
	if mode == "tcp" {
		return "a TCP echo server"
	}
	return "an HTTP server: GET /hello, POST /echo"
}

// startDemo starts the built-in upstream on loopback, for a proxy run with
// no -upstream: an HTTP server in http mode, a TCP echo server in tcp
// mode. stop shuts it down.
func startDemo(mode string) (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	if mode == "tcp" {
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					// Through a buffer: io.Copy between TCP connections
					// splices through pipes that package net pools.
					io.CopyBuffer(struct{ io.Writer }{c}, struct{ io.Reader }{c}, make([]byte, 32<<10))
					c.(*net.TCPConn).CloseWrite()
				}()
			}
		}()
		return ln.Addr().String(), func() { ln.Close(); <-done }, nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from the demo upstream (X-Forwarded-For: %s, Via: %s)\n",
			r.Header.Get("X-Forwarded-For"), r.Header.Get("Via"))
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, r.Body)
	})
	srv := &http.Server{Handler: mux}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	return ln.Addr().String(), func() { srv.Close(); <-done }, nil
}
