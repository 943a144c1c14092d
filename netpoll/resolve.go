package netpoll

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"golang.org/x/sync/singleflight"
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

// lookupHost resolves host to its addresses for network ("ip", "ip4" or
// "ip6" family), blocking; it runs on the offload pool, never on a loop.
func lookupHost(ctx context.Context, network, host string) ([]netip.Addr, error) {
	family := "ip"
	switch network {
	case "tcp4", "udp4":
		family = "ip4"
	case "tcp6", "udp6":
		family = "ip6"
	}
	key := family + "/" + host
	ch := lookups.DoChan(key, func() (any, error) {
		// Not the caller's context: the look-up is shared, and one
		// caller giving up must not fail the others.
		return net.DefaultResolver.LookupNetIP(context.Background(), family, host)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		addrs := r.Val.([]netip.Addr)
		if len(addrs) == 0 {
			return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
		return addrs, nil
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
