//go:build darwin || freebsd || netbsd || openbsd

package main

import (
	"time"

	"github.com/weftio/weft/netpoll"
)

// canSplice: without splice(2), tcp mode copies (-splice has no effect).
const canSplice = false

func (p *proxy) spliceHalf(dst, src *netpoll.Conn, last *time.Time) error {
	return p.copyHalf(dst, src, last)
}
