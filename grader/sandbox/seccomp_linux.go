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
// from the mapping (madvise MADV_DONTNEED: the memory stays, redteam8/
// shanon) are in no process's resident set: where no cgroup counts a sandbox's memory, the
// watch would not see them (redteam5/shmemhold). No stack's program uses
// either; POSIX shared memory is the sandbox's /dev/shm tmpfs, which the
// watch reads. System calls of another ABI (i386's int 0x80, x32) are
// denied whole, as their numbers differ.
func denyHiddenMemory() error {
	if auditArch == 0 {
		return nil
	}
	const (
		ld   = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq  = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		jge  = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
		ret  = unix.BPF_RET | unix.BPF_K
		deny = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	)
	filter := []unix.SockFilter{
		{Code: ld, K: 4}, // seccomp_data.arch
		{Code: jeq, Jt: 1, K: auditArch},
		{Code: ret, K: deny},
		{Code: ld, K: 0}, // seccomp_data.nr
		{Code: jge, Jt: 7, K: x32Bit},
		{Code: jeq, Jt: 6, K: unix.SYS_MEMFD_CREATE},
		{Code: jeq, Jt: 5, K: unix.SYS_SHMGET},
		{Code: jeq, Jf: 3, K: unix.SYS_MMAP},
		{Code: ld, K: 40}, // seccomp_data.args[3] (flags), its low 32 bits
		{Code: unix.BPF_ALU | unix.BPF_AND | unix.BPF_K, K: sharedAnon},
		{Code: jeq, Jt: 1, K: sharedAnon},
		{Code: ret, K: unix.SECCOMP_RET_ALLOW},
		{Code: ret, K: deny},
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
