# Red team round 7 (open): hold memory in AF_UNIX socket buffers, which
# are in no process's resident set: where no cgroup counts (an unprivileged
# grader on cgroup v1), the rlimits watch does not see it.
# Usage: hold.py MIB CHILDREN
import os, socket, resource, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
print("nofile", soft, hard, flush=True)
want = int(sys.argv[1]) << 20
kids = int(sys.argv[2])
per = want // kids
for k in range(kids):
    if os.fork() == 0:
        held, socks = 0, []
        chunk = b"x" * 65536
        while held < per:
            try:
                a, b = socket.socketpair()
            except OSError as e:
                print("socketpair:", e, flush=True); break
            for s in (a, b):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
                s.setblocking(False)
                while True:
                    try:
                        held += s.send(chunk)
                    except BlockingIOError:
                        break
            socks.append((a, b))
        print("child", k, "holds", held >> 20, "MiB in", len(socks), "pairs", flush=True)
        import time
        time.sleep(3600)
        os._exit(0)
import time; time.sleep(5)
