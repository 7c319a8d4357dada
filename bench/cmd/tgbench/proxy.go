package main

import (
	"net"
	"net/url"
	"sync"
	"sync/atomic"
)

// A counting proxy sits between a process and PostgreSQL or Redis and
// counts round trips: on each connection, every time the server answers
// after the client sent something since the server last answered. Pipelined
// and batched requests count once, and so does a multi-statement query;
// messages the server pushes unasked (LISTEN notifications) do not count
// unless a request is outstanding. The proxy costs latency and CPU, so it
// is used only in the separate pass that counts, never in a timed run.
type proxy struct {
	ln    net.Listener
	to    string
	trips atomic.Int64
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

// startProxy listens on a free loopback port and forwards to the host:port
// target.
func startProxy(target string) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{ln: ln, to: target}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.to)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		var pending atomic.Bool
		p.wg.Add(2)
		go p.pipe(s, c, func() { pending.Store(true) })
		go p.pipe(c, s, func() {
			if pending.Swap(false) {
				p.trips.Add(1)
			}
		})
	}
}

// pipe copies from src to dst, calling seen before forwarding each read.
func (p *proxy) pipe(dst, src net.Conn, seen func()) {
	defer p.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			seen()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil { // io.EOF or a closed connection: either way, done
			break
		}
	}
	dst.Close()
	src.Close()
}

func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// viaProxy returns rawURL with its host:port replaced by addr.
func viaProxy(rawURL, addr string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(err)
	}
	u.Host = addr
	return u.String()
}

// hostPort returns the host:port of a URL, with the scheme's default port.
func hostPort(rawURL, defPort string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(err)
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), defPort)
	}
	return u.Host
}
