package sandbox

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
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
// read allocations counts it. A socket passed in flight and closed by
// every process stays in the table (the message holds it), its queue with
// it. But a sender that was closed leaves the table while its messages
// wait in the peer's queue, whose true size nothing reports (its bytes,
// UNIX_DIAG_RQLEN, leave out each message's overhead: a 1-byte message
// takes 768): a socket with messages queued and no peer in the table is
// counted by what its senders could have queued (orphanedQueue).
func unixSocketMemory() (int64, error) {
	orphaned := orphanedQueue()
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
		stream         bool
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
			s := sock{listening: m.Data[2] == tcpListen, stream: m.Data[1] != unix.SOCK_DGRAM}
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
		if _, live := socks[s.peer]; !live && !s.listening && s.queued > 0 {
			total += orphaned(s.stream, s.queued)
		}
	}
	return total, nil
}

// minMessage is the least memory a queued unix stream message takes: a
// 1-byte message's true size.
const minMessage = 768

// orphanedQueue returns what a stream socket's, or a datagram socket's,
// queue of so many bytes may hold from senders that are gone. A sender
// waits while its write allocation is over its send buffer, which a
// program without CAP_NET_ADMIN sets to at most twice net.core.wmem_max,
// so its messages take at most that and one message more (64 KiB): a
// stream's queue is counted as that, or minMessage a byte when less. A
// datagram socket shows only its first message's bytes and takes messages
// from many senders, up to net.unix.max_dgram_qlen and one more: it is
// counted as full. The two settings are read once: the watch asks every
// 50 ms.
var orphanedQueue = sync.OnceValue(func() func(stream bool, queued int64) int64 {
	read := func(name string, def int64) int64 {
		b, err := os.ReadFile(name)
		if err != nil {
			return def
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			return def
		}
		return n
	}
	sender := 2*read("/proc/sys/net/core/wmem_max", 4<<20) + 64<<10
	qlen := read("/proc/sys/net/unix/max_dgram_qlen", 512)
	return func(stream bool, queued int64) int64 {
		if stream {
			return max(queued, min(sender, queued*minMessage))
		}
		return max(queued, sender*(qlen+1))
	}
})
