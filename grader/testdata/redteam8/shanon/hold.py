"""Red team round 8: memory the watch of an unprivileged grader (cgroup v1,
no cgroup of its own) does not see. Shared anonymous pages, touched, then
dropped from the mapping with MADV_DONTNEED, stay in memory (shmem) while
the mapping lives, and count in no process's resident set: 2 GiB held at
13 MB resident. The seccomp filter now refuses the mmap (EPERM)."""
import mmap

SIZE = 2 << 30
hold = mmap.mmap(-1, SIZE, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
for i in range(0, SIZE, 1 << 20):
    for j in range(i, i + (1 << 20), 4096):
        hold[j] = 1
    hold.madvise(mmap.MADV_DONTNEED, i, 1 << 20)
