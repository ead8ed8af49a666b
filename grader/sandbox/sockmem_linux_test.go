package sandbox

import (
	"os"
	"strings"
	"testing"
	"time"
)

// holdInSockets fills AF_UNIX socketpairs until MIB mebibytes are queued,
// says "held", and sleeps. MODE: stream (the data waits in each pair),
// closed (the sending end is closed: the data waits in the receiver's
// queue alone), tiny (closed, with 1-byte messages, each of which takes
// 768 bytes), flight (both ends are sent as SCM_RIGHTS over another pair
// and closed: only the messages in flight hold them), dgram (datagrams),
// dgramclosed (datagrams, the sender closed).
const holdInSockets = `
import array, socket, sys, time
mode, want = sys.argv[1], int(sys.argv[2]) << 20
held, keep, carrier, sent = 0, [], None, 0
kind = socket.SOCK_DGRAM if mode.startswith("dgram") else socket.SOCK_STREAM
chunk = b"x" * (1 if mode == "tiny" else 60000 if kind == socket.SOCK_DGRAM else 65536)
while held < want:
    a, b = socket.socketpair(socket.AF_UNIX, kind)
    a.setblocking(False)
    while True:
        try:
            n = a.send(chunk)
            held += 768 if mode == "tiny" else n
        except BlockingIOError:
            break
    if mode in ("closed", "tiny", "dgramclosed"):
        a.close()
        keep.append(b)
    elif mode == "flight":
        if carrier is None or sent == 50:
            carrier, sent = socket.socketpair(), 0
            keep.append(carrier)
        carrier[0].sendmsg([b"."], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [a.fileno(), b.fileno()]))])
        sent += 1
        a.close()
        b.close()
    else:
        keep.append((a, b))
print("held", held, flush=True)
time.sleep(60)
`

// A program's memory in unix socket buffers, which no resident set shows,
// is in SocketMemory however it holds it (redteam7/sockhold).
func TestSocketMemory(t *testing.T) {
	const mib = 64
	for _, mode := range []string{"stream", "closed", "tiny", "flight", "dgram", "dgramclosed"} {
		t.Run(mode, func(t *testing.T) {
			out, err := os.CreateTemp("", "nplus1-sockmem-*")
			if err != nil {
				t.Fatal(err)
			}
			defer os.Remove(out.Name())
			defer out.Close()
			sb, err := Start(Spec{Output: out})
			if err != nil {
				t.Fatal(err)
			}
			defer sb.Kill()
			before, ok := sb.SocketMemory()
			if !ok || before > 1<<20 {
				t.Fatalf("socket memory before the program: %d (known %v), want under 1 MiB", before, ok)
			}
			if err := sb.Exec([]string{"/usr/bin/python3", "-c", holdInSockets, mode, "64"}, nil, "/"); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				b, _ := os.ReadFile(out.Name())
				if strings.Contains(string(b), "held") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the program did not hold its memory; it said: %s", b)
				}
				time.Sleep(50 * time.Millisecond)
			}
			used, ok := sb.SocketMemory()
			b, _ := os.ReadFile(out.Name())
			t.Logf("%s: %d MiB in sockets; the program said %s", mode, used>>20, strings.TrimSpace(string(b)))
			if !ok || used < mib<<20 {
				t.Fatalf("socket memory %d (known %v), want at least the %d MiB the program holds", used, ok, mib)
			}
		})
	}
}

// A program cannot make a user namespace (and a network namespace in it)
// whose unix sockets the init would not see; threads, which glibc starts
// with clone3 and, refused, with clone, still start.
func TestNoNestedUserNamespace(t *testing.T) {
	if _, err := os.Stat("/usr/bin/unshare"); err != nil {
		t.Skipf("no unshare here: %v", err)
	}
	out, err := os.CreateTemp("", "nplus1-sockmem-*")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(out.Name())
	defer out.Close()
	sb, err := Start(Spec{Output: out})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Kill()
	script := `/usr/bin/unshare -Urn /bin/true; echo "unshare $?"; /usr/bin/python3 -c 'import threading; t = threading.Thread(target=print, args=("thread ran",)); t.start(); t.join()'`
	if err := sb.Exec([]string{"/bin/sh", "-c", script}, nil, "/"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sb.Exited():
	case <-time.After(20 * time.Second):
		t.Fatal("the program did not end")
	}
	b, _ := os.ReadFile(out.Name())
	if got := string(b); strings.Contains(got, "unshare 0") || !strings.Contains(got, "thread ran") {
		t.Fatalf("the program said %q; want unshare refused, and the thread run", got)
	}
}
