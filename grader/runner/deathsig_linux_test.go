package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nplus1/nplus1/internal/leaktest"
)

// A grader killed with SIGKILL runs no cleanup; the kernel must still take
// its solution with it.
func TestProgramDiesWithTheGrader(t *testing.T) {
	if leaktest.IsStandIn() {
		// The stand-in grader: start a solution, say its pid, wait to be killed.
		b, err := mustDetect(t, "testdata/pysolution").Build(context.Background(), BuildOptions{})
		if err != nil {
			t.Fatal(err)
		}
		port, _ := FreePort()
		p, err := b.Start(context.Background(), StartOptions{Port: port})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("pid %d\n", p.Pid())
		time.Sleep(time.Minute)
		return
	}
	pid, _ := strconv.Atoi(leaktest.KillStandIn(t, "TestProgramDiesWithTheGrader", "pid "))
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		status, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
		if err != nil || strings.Contains(string(status), "State:\tZ") {
			return // gone, or dead and waiting to be reaped
		}
		time.Sleep(20 * time.Millisecond)
	}
	syscall.Kill(-pid, syscall.SIGKILL)
	t.Errorf("solution %d still runs 10 s after its grader was killed", pid)
}
