package sandbox

import (
	"encoding/binary"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// The unix_diag part of NETLINK_SOCK_DIAG (linux/unix_diag.h), which
// golang.org/x/sys/unix does not name.
const (
	udiagShowPeer    = 0x04 // UDIAG_SHOW_PEER
	udiagShowRQLen   = 0x10 // UDIAG_SHOW_RQLEN
	udiagShowMemInfo = 0x20 // UDIAG_SHOW_MEMINFO

	unixDiagPeer    = 2 // UNIX_DIAG_PEER: the peer's inode, a u32
	unixDiagRQLen   = 4 // UNIX_DIAG_RQLEN: unix_diag_rqlen{rqueue, wqueue u32}
	unixDiagMemInfo = 5 // UNIX_DIAG_MEMINFO: u32 sk_meminfo[SK_MEMINFO_VARS]

	sizeofUnixDiagReq = 24 // struct unix_diag_req
	sizeofUnixDiagMsg = 16 // struct unix_diag_msg
	tcpListen         = 10 // TCP_LISTEN, a listening socket's udiag_state
)

// socketOverhead is about what a unix socket costs the kernel with no data
// queued (its unix_sock, socket inode, file and dentry): a program that
// opens a million empty sockets holds memory too.
const socketOverhead = 2 << 10

// unixSocketMemory is the memory held by the unix sockets of the calling
// process's network namespace, which no process's resident set shows:
// what they have queued, and socketOverhead each. A queued message
// (stream or datagram, descriptors in flight included) is charged, at its
// true size, to the sending socket's write allocation (sk_wmem_alloc)
// until it is read, so the sum of every socket's sk_meminfo write and
// read allocations counts it. A sender that was closed leaves the table
// while its messages wait in the peer's queue: for a socket whose peer is
// not in the table, its queued bytes (UNIX_DIAG_RQLEN) are added, which
// for a stream are the data bytes without each message's overhead and for
// a datagram socket only the first message's. A socket passed in flight
// and closed by every process stays in the table (the message holds it),
// its queue with it.
func unixSocketMemory() (int64, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	req := make([]byte, unix.SizeofNlMsghdr+sizeofUnixDiagReq)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(req[8:], 1) // sequence
	r := req[unix.SizeofNlMsghdr:]
	r[0] = unix.AF_UNIX
	ne.PutUint32(r[4:], ^uint32(0)) // every state
	ne.PutUint32(r[12:], udiagShowPeer|udiagShowRQLen|udiagShowMemInfo)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, err
	}

	type sock struct {
		peer           uint32
		queued, memory int64
		listening      bool
	}
	socks := map[uint32]sock{}
	buf := make([]byte, 64<<10)
	for done := false; !done; {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return 0, err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return 0, err
		}
		for _, m := range msgs {
			switch m.Header.Type {
			case syscall.NLMSG_DONE:
				done = true
				continue
			case syscall.NLMSG_ERROR:
				if len(m.Data) >= 4 {
					if e := int32(ne.Uint32(m.Data)); e != 0 {
						return 0, fmt.Errorf("sock_diag: %w", unix.Errno(-e))
					}
				}
				return 0, fmt.Errorf("sock_diag: error")
			case unix.SOCK_DIAG_BY_FAMILY:
			default:
				continue
			}
			if len(m.Data) < sizeofUnixDiagMsg {
				continue
			}
			ino := ne.Uint32(m.Data[4:])
			s := sock{listening: m.Data[2] == tcpListen}
			for a := m.Data[sizeofUnixDiagMsg:]; len(a) >= unix.SizeofRtAttr; {
				l := int(ne.Uint16(a[0:]))
				if l < unix.SizeofRtAttr || l > len(a) {
					break
				}
				v := a[unix.SizeofRtAttr:l]
				switch ne.Uint16(a[2:]) {
				case unixDiagPeer:
					if len(v) >= 4 {
						s.peer = ne.Uint32(v)
					}
				case unixDiagRQLen:
					if len(v) >= 4 {
						s.queued = int64(ne.Uint32(v))
					}
				case unixDiagMemInfo:
					if len(v) >= 4*(unix.SK_MEMINFO_WMEM_ALLOC+1) {
						s.memory = int64(ne.Uint32(v[4*unix.SK_MEMINFO_RMEM_ALLOC:])) +
							int64(ne.Uint32(v[4*unix.SK_MEMINFO_WMEM_ALLOC:]))
					}
				}
				a = a[min((l+unix.RTA_ALIGNTO-1)&^(unix.RTA_ALIGNTO-1), len(a)):]
			}
			socks[ino] = s
		}
	}
	var total int64
	for _, s := range socks {
		total += socketOverhead + s.memory
		if _, live := socks[s.peer]; !live && !s.listening {
			total += s.queued
		}
	}
	return total, nil
}
