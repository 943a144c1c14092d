// Package netpoll puts sockets on weft's loops: TCP (IPv4 and IPv6), Unix
// stream, UDP and Unix datagram sockets, with two faces over one core.
// (The readiness poller itself is in netpoll/poller; docs/netpoll.md has
// the design and its reasons.)
//
// # The fiber face
//
// Listen, Dial and Listener.Accept are called from fibers (package
// weft/fiber) and return a *Conn, a net.Conn whose Read parks the calling
// fiber until data arrives and whose Write parks it until the data is
// accepted. Code written for net.Conn runs unchanged: bufio, crypto/tls,
// net/http.ReadRequest and ReadResponse. Deadlines run on the loop's
// timers.
//
//	ln, _ := netpoll.Listen(ctx, "tcp", "127.0.0.1:0")
//	for {
//		c, err := ln.Accept()
//		if err != nil {
//			return err
//		}
//		fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
//			defer c.Close()
//			_, err := io.Copy(c, c)
//			return struct{}{}, err
//		})
//	}
//
// # The callback face
//
// Serve accepts connections on a loop.Group, and Connect dials one, and
// each connection's Handler gets OnOpen,
// OnData and OnClose on the connection's loop, with no goroutine or fiber
// per connection; OnData's bytes live in a read buffer shared by the
// loop's connections. One acceptor spreads connections over the loops
// (RoundRobin or LeastConns), or with WithReusePort each loop listens
// itself.
//
// Datagrams: ListenPacket (fiber face) and ServePacket (callback face)
// return a *PacketConn, a net.PacketConn.
//
// # Writes
//
// Both faces write through to the kernel while nothing is queued, then
// queue what the kernel did not take, up to a high watermark
// (WithWatermarks, 1 MiB by default). Past it, the callback face's Write
// returns ErrQueueFull and reading pauses, and the fiber face's Write
// parks, until the queue has drained to the low watermark (256 KiB): a slow
// reader cannot make a connection hold more than the high mark plus one
// write. Writes from goroutines outside the loop block their goroutine
// until accepted and keep their order. Close sends what was accepted
// (within WithLinger's time) before FIN; CloseWrite half-closes.
//
// # Limits and failures
//
// Accept that meets EMFILE or ENFILE leaves the connection in the backlog
// and retries after a back-off (5 ms doubling to 1 s) instead of spinning,
// while established connections are served. Host names are resolved on the
// offload pool, concurrent look-ups of one name merged. Errors are
// *net.OpError values (errors.Is works with net.ErrClosed,
// os.ErrDeadlineExceeded and the errno). Every socket still open when its
// loop closes is reset and its fd closed.
//
// Like the poller, the package exists on Linux, macOS, FreeBSD, NetBSD
// and OpenBSD; elsewhere it is empty.
package netpoll
