//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/weftio/weft/internal/offload"
)

// An endpoint is a parsed address: a Unix socket path, or a host (an IP
// literal, a name still to resolve, or empty for the wildcard) and a port.
type endpoint struct {
	path string
	host string
	ip   netip.Addr // valid when host was an IP literal
	port uint16
}

// parseAddress splits address for network without resolving names.
func parseAddress(network, address string) (endpoint, error) {
	if network == "unix" || network == "unixgram" {
		if address == "" {
			return endpoint{}, &net.AddrError{Err: "empty Unix socket path", Addr: address}
		}
		return endpoint{path: address}, nil
	}
	if !isStream(network) && !isPacket(network) {
		return endpoint{}, net.UnknownNetworkError(network)
	}
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return endpoint{}, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		p, perr := net.LookupPort(network, portStr) // a service name: /etc/services
		if perr != nil {
			return endpoint{}, &net.AddrError{Err: "invalid port", Addr: address}
		}
		port = uint64(p)
	}
	ep := endpoint{host: host, port: uint16(port)}
	if host != "" {
		if ip, err := netip.ParseAddr(host); err == nil {
			ep.ip = ip
		}
	}
	return ep, nil
}

// needsLookup reports whether the endpoint names a host to resolve.
func (ep endpoint) needsLookup() bool { return ep.host != "" && !ep.ip.IsValid() }

// lookups merges concurrent look-ups of the same name (x/sync
// singleflight): a thousand dials to one host cost one DNS query.
var lookups singleflight.Group

// dnsPool runs the look-ups: a bounded offload pool of its own, so slow
// DNS cannot hold the workers that file I/O and Blocking calls need (and
// the reverse). An idle pool holds no goroutine.
var dnsPool = sync.OnceValue(func() *offload.Pool { return offload.New(0) })

// lookupNetIP is the resolver's look-up (a variable for tests).
var lookupNetIP = net.DefaultResolver.LookupNetIP

// lookupChan starts, or joins, the look-up of host for network's family
// and returns where its result will arrive. It does not block: the
// look-up runs on dnsPool, and only singleflight's goroutine for the
// name waits for it, so a thousand callers waiting for one name hold no
// worker between them.
func lookupChan(network, host string) <-chan singleflight.Result {
	family := "ip"
	switch network {
	case "tcp4", "udp4":
		family = "ip4"
	case "tcp6", "udp6":
		family = "ip6"
	}
	return lookups.DoChan(family+"/"+host, func() (any, error) {
		var (
			addrs []netip.Addr
			err   error
			done  = make(chan struct{})
		)
		// Not a caller's context: the look-up is shared, and one caller
		// giving up must not fail the others.
		dnsPool().Submit(func() {
			defer close(done)
			addrs, err = lookupNetIP(context.Background(), family, host)
		})
		<-done
		if err == nil && len(addrs) == 0 {
			err = &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
		return addrs, err
	})
}

// lookupHost resolves host, blocking the calling goroutine (never a loop's).
func lookupHost(ctx context.Context, network, host string) ([]netip.Addr, error) {
	select {
	case r := <-lookupChan(network, host):
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.([]netip.Addr), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// specs returns the socket specs for ep, given the resolved addresses of
// a named host (nil for a literal or the wildcard).
func (ep endpoint) specs(network string, addrs []netip.Addr) ([]sockSpec, error) {
	if ep.path != "" {
		s, err := specOf(network, netip.AddrPort{}, ep.path)
		return []sockSpec{s}, err
	}
	if !ep.needsLookup() {
		s, err := specOf(network, netip.AddrPortFrom(ep.ip, ep.port), "")
		return []sockSpec{s}, err
	}
	var out []sockSpec
	var firstErr error
	for _, ip := range addrs {
		s, err := specOf(network, netip.AddrPortFrom(ip, ep.port), "")
		if err != nil {
			firstErr = cmpErr(firstErr, err)
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		if firstErr == nil {
			firstErr = fmt.Errorf("no address of %s suits %s", ep.host, network)
		}
		return nil, firstErr
	}
	return out, nil
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}
