package proxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

func tcpPair(t *testing.T) (a, b *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-accepted
	if s == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

func TestRawSocket(t *testing.T) {
	a, b := tcpPair(t)
	wa, rb := socket(a), socket(b)
	if _, ok := wa.(*rawSocket); !ok {
		t.Fatalf("socket(*net.TCPConn) = %T, want *rawSocket", wa)
	}

	// 8 MiB is more than the socket buffers hold: the writer must wait for
	// the reader (EAGAIN) and go on where it stopped.
	want := make([]byte, 8<<20)
	for i := range want {
		want[i] = byte(i * 7)
	}
	done := make(chan error, 1)
	go func() {
		_, err := wa.Write(want)
		a.CloseWrite()
		done <- err
	}()
	got, err := io.ReadAll(rb)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, not the %d written", len(got), len(want))
	}

	// A deadline ends a read as on the net.Conn.
	_, b2 := tcpPair(t)
	b2.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := socket(b2).Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read past the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	b2.SetReadDeadline(time.Time{})

	// Close wakes a blocked read with net.ErrClosed, as the relay expects.
	readErr := make(chan error, 1)
	go func() {
		_, err := socket(b2).Read(make([]byte, 1))
		readErr <- err
	}()
	time.Sleep(20 * time.Millisecond)
	b2.Close()
	if err := <-readErr; !isClosed(err) {
		t.Errorf("read on a closed socket: %v, want net.ErrClosed", err)
	}

	// A wrapper keeps its own Read: no raw socket under it.
	if s := socket(&prefixedConn{Conn: a}); s == nil || isRaw(s) {
		t.Errorf("socket(wrapper) = %T, want the wrapper itself", s)
	}
}

func isRaw(rw io.ReadWriter) bool { _, ok := rw.(*rawSocket); return ok }
