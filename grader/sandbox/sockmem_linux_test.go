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
// queue alone), flight (both ends are sent as SCM_RIGHTS over another
// pair and closed: only the messages in flight hold them), dgram
// (datagrams).
const holdInSockets = `
import array, socket, sys, time
mode, want = sys.argv[1], int(sys.argv[2]) << 20
held, keep, carrier, sent = 0, [], None, 0
kind = socket.SOCK_DGRAM if mode == "dgram" else socket.SOCK_STREAM
chunk = b"x" * (60000 if mode == "dgram" else 65536)
while held < want:
    a, b = socket.socketpair(socket.AF_UNIX, kind)
    a.setblocking(False)
    while True:
        try:
            held += a.send(chunk)
        except BlockingIOError:
            break
    if mode == "closed":
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
	for _, mode := range []string{"stream", "closed", "flight", "dgram"} {
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
