//go:build linux || darwin || freebsd || netbsd || openbsd

package netpoll

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A sockSpec is what a socket is made from: its family, type and the
// address to bind or connect to.
type sockSpec struct {
	family, sotype int
	sa             unix.Sockaddr
}

// streamNetworks and packetNetworks are the networks this package knows.
func isStream(network string) bool {
	switch network {
	case "tcp", "tcp4", "tcp6", "unix":
		return true
	}
	return false
}

func isPacket(network string) bool {
	switch network {
	case "udp", "udp4", "udp6", "unixgram":
		return true
	}
	return false
}

// specOf turns a network and a resolved address into a sockSpec. ip is
// the resolved IP for the inet networks (invalid for a wildcard listen);
// path is the Unix socket path.
func specOf(network string, ap netip.AddrPort, path string) (sockSpec, error) {
	switch network {
	case "unix", "unixgram":
		sotype := unix.SOCK_STREAM
		if network == "unixgram" {
			sotype = unix.SOCK_DGRAM
		}
		return sockSpec{family: unix.AF_UNIX, sotype: sotype, sa: &unix.SockaddrUnix{Name: path}}, nil
	}
	sotype := unix.SOCK_STREAM
	if isPacket(network) {
		sotype = unix.SOCK_DGRAM
	}
	ip := ap.Addr()
	want6 := network == "tcp6" || network == "udp6"
	want4 := network == "tcp4" || network == "udp4"
	switch {
	case !ip.IsValid() && want4:
		ip = netip.IPv4Unspecified()
	case !ip.IsValid():
		ip = netip.IPv6Unspecified() // dual stack, as net.Listen(":port") does
	case ip.Is4In6():
		ip = ip.Unmap()
	}
	if (want4 && !ip.Is4()) || (want6 && ip.Is4()) {
		return sockSpec{}, &net.AddrError{Err: "address family does not match the network", Addr: ap.String()}
	}
	if ip.Is4() {
		return sockSpec{family: unix.AF_INET, sotype: sotype, sa: &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ip.As4()}}, nil
	}
	sa := &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ip.As16()}
	if z := ip.Zone(); z != "" {
		if ifi, err := net.InterfaceByName(z); err == nil {
			sa.ZoneId = uint32(ifi.Index)
		}
	}
	return sockSpec{family: unix.AF_INET6, sotype: sotype, sa: sa}, nil
}

// addrOf converts a kernel socket address to the net.Addr of network's
// kind (TCPAddr, UDPAddr or UnixAddr).
func addrOf(network string, sa unix.Sockaddr) net.Addr {
	var ip netip.Addr
	var port int
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		ip, port = netip.AddrFrom4(a.Addr), a.Port
	case *unix.SockaddrInet6:
		ip, port = netip.AddrFrom16(a.Addr), a.Port
		if a.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(a.ZoneId)); err == nil {
				ip = ip.WithZone(ifi.Name)
			}
		}
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: a.Name, Net: network}
	default:
		if network == "unix" || network == "unixgram" {
			return &net.UnixAddr{Net: network}
		}
		return nil
	}
	if isPacket(network) {
		return net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port)))
	}
	return net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port)))
}

// newSocket makes a non-blocking, close-on-exec socket for spec.
func newSocket(spec sockSpec) (int, error) {
	fd, err := sysSocket(spec.family, spec.sotype, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if spec.family == unix.AF_INET6 {
		// Dual stack for the wildcard, as net does; explicit v6 addresses
		// are v6 only by nature.
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
	}
	return fd, nil
}

// listenSocket makes a bound, listening (stream) or bound (packet)
// socket.
func listenSocket(spec sockSpec, o *options) (int, error) {
	fd, err := newSocket(spec)
	if err != nil {
		return -1, err
	}
	if err := o.applyListen(fd, spec); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.Bind(fd, spec.sa); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("bind", err)
	}
	if spec.sotype == unix.SOCK_STREAM {
		if err := unix.Listen(fd, o.backlog); err != nil {
			unix.Close(fd)
			return -1, os.NewSyscallError("listen", err)
		}
	}
	return fd, nil
}

// isTemporaryAccept reports whether an accept error leaves the listener
// usable: the connection was aborted, or the process or system is out of
// descriptors or memory for now.
func isTemporaryAccept(err error) bool {
	return errors.Is(err, unix.ECONNABORTED) || isOutOfFDs(err) ||
		errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.ENOMEM) || errors.Is(err, unix.EPROTO)
}

func isOutOfFDs(err error) bool {
	return errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE)
}

// soError reads and clears the socket's pending error (after a
// non-blocking connect).
func soError(fd int) error {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return os.NewSyscallError("getsockopt", err)
	}
	if v != 0 {
		return os.NewSyscallError("connect", syscall.Errno(v))
	}
	return nil
}

// applyListen sets the options a listening socket takes before bind.
func (o *options) applyListen(fd int, spec sockSpec) error {
	if spec.family == unix.AF_UNIX {
		return nil
	}
	if o.reuseAddr && spec.sotype == unix.SOCK_STREAM {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return os.NewSyscallError("setsockopt", err)
		}
	}
	if o.reusePort {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return os.NewSyscallError("setsockopt", err)
		}
	}
	return o.applyBuffers(fd)
}

func (o *options) applyBuffers(fd int) error {
	if o.readBuffer > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, o.readBuffer); err != nil {
			return os.NewSyscallError("setsockopt", err)
		}
	}
	if o.writeBuffer > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, o.writeBuffer); err != nil {
			return os.NewSyscallError("setsockopt", err)
		}
	}
	return nil
}

// applyConn sets the options of a connected (accepted or dialled) stream
// socket.
func (o *options) applyConn(fd int, family int) error {
	if family == unix.AF_UNIX {
		return o.applyBuffers(fd)
	}
	if err := setNoDelay(fd, o.noDelay); err != nil {
		return err
	}
	if err := setKeepAlive(fd, o.keepAlive); err != nil {
		return err
	}
	return o.applyBuffers(fd)
}

func setNoDelay(fd int, on bool) error {
	v := 0
	if on {
		v = 1
	}
	return os.NewSyscallError("setsockopt", unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, v))
}

func setKeepAlive(fd int, d time.Duration) error {
	if d < 0 {
		return os.NewSyscallError("setsockopt", unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 0))
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	if d == 0 {
		return nil
	}
	return setKeepAlivePeriod(fd, int((d+time.Second-1)/time.Second))
}
