// Command tcpthru measures a TCP proxy's one-way throughput and CPU per
// byte: the baseline behind docs/proxy.md's splice figures. It plays three
// parts:
//
//	tcpthru -mode sink                        # an upstream that reads and drops
//	tcpthru -mode netproxy -up SINK           # Go net's proxy: io.Copy between TCP conns (splice on Linux)
//	tcpthru -mode client -addr PROXY -pid PID # sends -size bytes, prints MB/s and the proxy's CPU s/GB
//
// with weft's `proxy -mode tcp -loops 1 -upstream SINK` as the other proxy.
// Both proxies print "listening on ADDR".
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

func cpuOf(pid int) time.Duration {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func main() {
	mode := flag.String("mode", "", "sink, netproxy or client")
	listen := flag.String("listen", "127.0.0.1:0", "")
	up := flag.String("up", "", "")
	addr := flag.String("addr", "", "")
	size := flag.Int64("size", 2<<30, "")
	pid := flag.Int("pid", 0, "proxy pid")
	flag.Parse()
	switch *mode {
	case "sink":
		ln, _ := net.Listen("tcp", *listen)
		fmt.Println("listening on", ln.Addr())
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	case "netproxy":
		ln, _ := net.Listen("tcp", *listen)
		fmt.Println("listening on", ln.Addr())
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				u, err := net.Dial("tcp", *up)
				if err != nil {
					c.Close()
					return
				}
				go func() { io.Copy(c, u); c.(*net.TCPConn).CloseWrite() }()
				io.Copy(u, c) // splice on Linux
				u.(*net.TCPConn).CloseWrite()
			}()
		}
	case "client":
		c, err := net.Dial("tcp", *addr)
		if err != nil {
			panic(err)
		}
		buf := make([]byte, 256<<10)
		c0 := cpuOf(*pid)
		start := time.Now()
		var n int64
		for n < *size {
			m, err := c.Write(buf)
			if err != nil {
				panic(err)
			}
			n += int64(m)
		}
		c.(*net.TCPConn).CloseWrite()
		io.Copy(io.Discard, c)
		d := time.Since(start)
		cpu := cpuOf(*pid) - c0
		fmt.Printf("%.0f MB/s, proxy CPU %.2f s/GB\n", float64(n)/1e6/d.Seconds(), cpu.Seconds()/(float64(n)/1e9))
	}
}
