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
	"github.com/nplus1/nplus1/internal/procgroup"
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
		port, _ := procgroup.FreePort()
		p, err := b.Start(context.Background(), StartOptions{Port: port})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("pid %d %s\n", p.Pid(), b.tmp)
		time.Sleep(time.Minute)
		return
	}
	var pid int
	var buildDir string
	fmt.Sscan(leaktest.KillStandIn(t, "TestProgramDiesWithTheGrader", "pid "), &pid, &buildDir)
	if pid == 0 || buildDir == "" {
		t.Fatal("the stand-in grader did not say its solution's pid and build directory")
	}
	// The killed grader's build directory goes with the next build.
	defer func() {
		mustBuild(t, mustDetect(t, "testdata/pysolution"))
		if _, err := os.Stat(buildDir); !os.IsNotExist(err) {
			t.Errorf("the next build left the killed grader's %s (%v)", buildDir, err)
		}
	}()
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
