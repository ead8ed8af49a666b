package runner

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// A program whose resident memory passes the limit is stopped, and its
// exit says why.
func TestMemoryLimit(t *testing.T) {
	b := mustBuild(t, mustDetect(t, "testdata/bloat"))
	start := time.Now()
	_, err := b.Start(context.Background(), StartOptions{Port: mustPort(t), ReadyTimeout: 20 * time.Second, MemoryLimit: 200 << 20})
	var ee *ExitError
	if !errors.As(err, &ee) || ee.MemoryUsed < 200<<20 || !strings.Contains(ee.Error(), "the 200MiB a solution may use, and was stopped") {
		t.Fatalf("Start: %v (%#v); want the program stopped for its memory", err, ee)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("stopped after %s", took)
	}
}

// Many threads, whose stacks are reserved but barely touched, do not count:
// the limit is on resident memory.
func TestMemoryLimitIgnoresReservations(t *testing.T) {
	b := mustBuild(t, mustDetect(t, "testdata/threads"))
	p, err := b.Start(context.Background(), StartOptions{Port: mustPort(t), ReadyTimeout: 20 * time.Second, MemoryLimit: 200 << 20})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer p.Stop()
	time.Sleep(5 * memoryPoll)
	if exited, err := p.Exited(); exited {
		t.Fatalf("a program with 300 idle threads was stopped: %v", err)
	}
}
