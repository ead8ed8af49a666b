package sandbox

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// auditArch is this build's system call ABI as seccomp names it; 0 where
// denyHiddenMemory has no filter for it.
var auditArch = map[string]uint32{"amd64": unix.AUDIT_ARCH_X86_64, "arm64": unix.AUDIT_ARCH_AARCH64}[runtime.GOARCH]

// sharedAnon are the mmap flags of shared anonymous memory (MAP_SHARED,
// which MAP_SHARED_VALIDATE holds too, and MAP_ANONYMOUS).
const sharedAnon = unix.MAP_SHARED | unix.MAP_ANONYMOUS

// x32Bit marks the x32 ABI's system calls on amd64 (same audit arch).
const x32Bit = 0x40000000

// denyHiddenMemory makes memfd_create, shmget and mmap of shared anonymous
// memory fail with EPERM for the calling thread and what it starts
// (no_new_privs must be set). Pages written to a memfd, SysV segments
// touched and detached, and shared anonymous pages touched then dropped
// from the mapping (madvise MADV_DONTNEED: the memory stays,
// redteam8/shanon) are in no process's resident set: where no cgroup
// counts a sandbox's memory, the watch would not see them
// (redteam5/shmemhold). No stack's program uses them; POSIX shared memory
// is the sandbox's /dev/shm tmpfs, which the watch reads. It refuses a new
// user namespace too (unshare and clone with CLONE_NEWUSER: EPERM; clone3,
// whose flags a filter cannot read: ENOSYS, on which glibc and Go fall
// back to clone): in a network namespace of its own a program's unix
// sockets would be out of the init's sight, which counts their memory
// (redteam7/sockhold). System calls of another ABI (i386's int 0x80, x32)
// are denied whole, as their numbers differ.
func denyHiddenMemory() error {
	if auditArch == 0 {
		return nil
	}
	const (
		ld     = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq    = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		jge    = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
		jset   = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
		ret    = unix.BPF_RET | unix.BPF_K
		deny   = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
		enosys = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	)
	// Jumps count the instructions they skip.
	filter := []unix.SockFilter{
		/* 0 */ {Code: ld, K: 4}, // seccomp_data.arch
		/* 1 */ {Code: jeq, Jt: 1, K: auditArch},
		/* 2 */ {Code: ret, K: deny},
		/* 3 */ {Code: ld, K: 0}, // seccomp_data.nr
		/* 4 */ {Code: jge, Jt: 15, K: x32Bit}, // 20
		/* 5 */ {Code: jeq, Jt: 14, K: unix.SYS_MEMFD_CREATE}, // 20
		/* 6 */ {Code: jeq, Jt: 13, K: unix.SYS_SHMGET}, // 20
		/* 7 */ {Code: jeq, Jt: 11, K: unix.SYS_CLONE3}, // 19
		/* 8 */ {Code: jeq, Jt: 3, K: unix.SYS_UNSHARE}, // 12
		/* 9 */ {Code: jeq, Jt: 2, K: unix.SYS_CLONE}, // 12
		/* 10 */ {Code: jeq, Jt: 4, K: unix.SYS_MMAP}, // 15
		/* 11 */ {Code: ret, K: unix.SECCOMP_RET_ALLOW},
		/* 12 */ {Code: ld, K: 16}, // seccomp_data.args[0], its low half (little-endian): the flags
		/* 13 */ {Code: jset, Jt: 6, K: unix.CLONE_NEWUSER}, // 20
		/* 14 */ {Code: ret, K: unix.SECCOMP_RET_ALLOW},
		/* 15 */ {Code: ld, K: 40}, // seccomp_data.args[3], its low half: mmap's flags
		/* 16 */ {Code: unix.BPF_ALU | unix.BPF_AND | unix.BPF_K, K: sharedAnon},
		/* 17 */ {Code: jeq, Jt: 2, K: sharedAnon}, // 20
		/* 18 */ {Code: ret, K: unix.SECCOMP_RET_ALLOW},
		/* 19 */ {Code: ret, K: enosys},
		/* 20 */ {Code: ret, K: deny},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	// No TSYNC: the filter is the calling thread's, which starts the program.
	_, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(filter)
	if errno != 0 {
		return errno
	}
	return nil
}
