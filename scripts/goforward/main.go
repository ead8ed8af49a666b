//go:build linux

// Command goforward is a bare TCP forwarder in Go, a yardstick for
// scripts/bench-proxy.sh (FORWARDERS=1) beside scripts/forward/forward.c.
// It reads nothing of what it forwards, so it shows what the Go runtime
// itself costs a hop, in one of two modes:
//
//	-mode netpoll   io.Copy each way over net.Conn: the runtime's poller
//	                waits for the sockets (as the grader's proxy does)
//	-mode blocking  each direction on its own OS thread (LockOSThread),
//	                blocking read(2) and write(2) through syscall.Syscall,
//	                as the C forwarder does
//
// Usage: goforward [-mode netpoll|blocking] LISTEN_PORT UPSTREAM_PORT
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
)

func main() {
	mode := flag.String("mode", "netpoll", "netpoll or blocking")
	flag.Parse()
	if flag.NArg() != 2 || (*mode != "netpoll" && *mode != "blocking") {
		fmt.Fprintln(os.Stderr, "usage: goforward [-mode netpoll|blocking] LISTEN_PORT UPSTREAM_PORT")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "goforward:", err)
		os.Exit(1)
	}
	pump := copyNetpoll
	if *mode == "blocking" {
		pump = copyBlocking
	}
	for {
		client, err := ln.Accept()
		if err != nil {
			continue
		}
		server, err := net.Dial("tcp", "127.0.0.1:"+flag.Arg(1))
		if err != nil {
			fmt.Fprintln(os.Stderr, "goforward:", err)
			client.Close()
			continue
		}
		done := make(chan struct{}, 2)
		go func() { pump(server.(*net.TCPConn), client.(*net.TCPConn)); done <- struct{}{} }()
		go func() { pump(client.(*net.TCPConn), server.(*net.TCPConn)); done <- struct{}{} }()
		go func() { <-done; <-done; client.Close(); server.Close() }()
	}
}

// copyNetpoll copies from src to dst until src ends, then ends dst's side.
func copyNetpoll(dst, src *net.TCPConn) {
	io.Copy(dst, src)
	dst.CloseWrite()
	src.CloseRead()
}

// copyBlocking is copyNetpoll with the sockets in blocking mode, on a
// thread of its own.
func copyBlocking(dst, src *net.TCPConn) {
	runtime.LockOSThread()
	in, out := blockingFD(src), blockingFD(dst)
	buf := make([]byte, 64<<10)
	for {
		n, err := syscall.Read(in, buf)
		if err == syscall.EINTR {
			continue
		}
		if n <= 0 {
			break
		}
		if writeAll(out, buf[:n]) != nil {
			break
		}
	}
	syscall.Shutdown(out, syscall.SHUT_WR)
	syscall.Shutdown(in, syscall.SHUT_RD)
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// blockingFD returns c's descriptor, switched to blocking mode. The
// connection keeps it open until it is closed.
func blockingFD(c *net.TCPConn) int {
	rc, err := c.SyscallConn()
	if err != nil {
		panic(err)
	}
	fd := -1
	rc.Control(func(f uintptr) {
		fd = int(f)
		if err := syscall.SetNonblock(fd, false); err != nil {
			panic(err)
		}
	})
	return fd
}
