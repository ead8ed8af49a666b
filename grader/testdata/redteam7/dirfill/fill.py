# Red team round 7: directories by the hundred thousand, in the writable
# copy of the solution: no byte written, so the disk watch (which counted
# regular files only) saw none, while each took a block and an inode.
import os, sys, time
n = int(sys.argv[1]); made = 0
t = time.time()
try:
    for i in range(n // 1000):
        d = "d/%d" % i
        os.makedirs(d)
        for j in range(1000):
            os.mkdir("%s/%d" % (d, j)); made += 1
except OSError as e:
    print("stopped:", e, flush=True)
print("made", made, "directories in", round(time.time() - t), "s", flush=True)
