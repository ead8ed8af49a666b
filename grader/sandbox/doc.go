// Package sandbox runs a learner's program isolated from the grader, from
// other solutions and from the machine (Linux only).
//
// A Sandbox is a small init process of ours, started in new user, PID,
// mount, network, IPC and UTS namespaces, that stays PID 1 of its PID
// namespace. Inside:
//
//   - the program runs under one unprivileged uid (the grader's own when the
//     grader is not root; SandboxUID when it is) with no capabilities,
//     no_new_privs and a seccomp filter that refuses memfd_create, shmget
//     and shared anonymous mmap (memory in no resident set) and new user
//     namespaces (unix sockets the init, which counts what they hold,
//     would not see), in a PID namespace of its own:
//     it sees and signals only its own processes, and every one of them,
//     daemons included, dies with the init process (Kill);
//   - the file system is the host's, read-only and nosuid, with a private,
//     writable tmpfs over /tmp, /var/tmp, /dev/shm and /run (the Docker socket
//     and every socket under /run with it) and over Spec.Hide (the grader's
//     temp dirs, the cluster's data directory, key files); Spec.Binds add the
//     solution's directory and caches, writable or not; /proc is a new one
//     that shows the sandbox's processes only;
//   - the network namespace has a loopback interface and nothing else: the
//     program reaches only what the grader asks the init process to listen
//     on there (Listen: the tracing proxy), and the grader reaches the
//     program's port through connections the init process dials there
//     (Dial). The sockets cross namespaces as file descriptors over a
//     socketpair; no byte is relayed.
//
// The namespaces are made by the Go runtime itself (syscall.SysProcAttr's
// Cloneflags, id maps and ambient capabilities, which the standard library
// maintains and tests), so nothing needs installing; the init process does
// the few mounts and the loopback ioctl with golang.org/x/sys/unix. The init
// process keeps its capabilities in its namespaces, so the capability-less
// program can neither ptrace nor signal it (PID 1 ignores what it has no
// handler for).
//
// The init process is this same executable, started again with os.Args[0]
// set to initName: the package's init function runs it before main, in any
// binary that links this package (nplus1, test binaries).
//
// Supported reports whether this machine can make the namespaces; where it
// cannot (not Linux, user namespaces disabled), a grade runs without a
// sandbox and says so.
package sandbox
