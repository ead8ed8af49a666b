package proxy

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// socket returns c as a reader and writer that call read(2) and write(2)
// with syscall.RawSyscall when c is a bare TCP or Unix socket, and c itself
// otherwise (a wrapper may have its own Read, which must not be bypassed).
//
// The socket is non-blocking (the runtime's poller waits for it), so these
// calls never block. Skipping the runtime's system call bookkeeping saves
// waking the runtime's monitor thread on the first call after each idle
// moment: the proxy idles between round trips, and those wake-ups doubled
// its CPU time and context switches per round trip. Deadlines and Close
// work as on c. A socket is for one reader and one writer at a time.
func socket(c net.Conn) io.ReadWriter {
	var sc syscall.Conn
	switch c := c.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return c
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	s := &rawSocket{rc: rc}
	s.readFn, s.writeFn = s.read, s.write // bound once: no allocation per call
	return s
}

type rawSocket struct {
	rc      syscall.RawConn
	readFn  func(fd uintptr) bool
	writeFn func(fd uintptr) bool

	rbuf []byte // the read under way: its buffer, bytes read, error
	rn   int
	rerr syscall.Errno
	wbuf []byte // the write under way: its bytes, bytes written, error
	wn   int
	werr syscall.Errno
}

func (s *rawSocket) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.rbuf, s.rn, s.rerr = p, 0, 0
	err := s.rc.Read(s.readFn)
	n, errno := s.rn, s.rerr
	s.rbuf = nil
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, os.NewSyscallError("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// read is called by the poller until it returns true.
func (s *rawSocket) read(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&s.rbuf[0])), uintptr(len(s.rbuf)))
		switch e {
		case 0:
			s.rn = int(n)
			return true
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			s.rerr = e
			return true
		}
	}
}

func (s *rawSocket) Write(p []byte) (int, error) {
	s.wbuf, s.wn, s.werr = p, 0, 0
	err := s.rc.Write(s.writeFn)
	n, errno := s.wn, s.werr
	s.wbuf = nil
	if err == nil && errno != 0 {
		err = os.NewSyscallError("write", errno)
	}
	return n, err
}

// write is called by the poller until it returns true.
func (s *rawSocket) write(fd uintptr) bool {
	for s.wn < len(s.wbuf) {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&s.wbuf[s.wn])), uintptr(len(s.wbuf)-s.wn))
		switch e {
		case 0:
			s.wn += int(n)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			s.werr = e
			return true
		}
	}
	return true
}
