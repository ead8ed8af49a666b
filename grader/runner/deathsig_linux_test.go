package runner

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A grader killed with SIGKILL runs no cleanup; the kernel must still take
// its solution with it.
func TestProgramDiesWithTheGrader(t *testing.T) {
	if os.Getenv("NPLUS1_TEST_GRADER") == "1" {
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
	grader := exec.Command(os.Args[0], "-test.run=^TestProgramDiesWithTheGrader$")
	grader.Env = append(os.Environ(), "NPLUS1_TEST_GRADER=1")
	out, _ := grader.StdoutPipe()
	if err := grader.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	pid := 0
	for pid == 0 && sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "pid "); ok {
			pid, _ = strconv.Atoi(rest)
		}
	}
	if pid == 0 {
		grader.Process.Kill()
		grader.Wait()
		t.Fatal("the stand-in grader started no solution")
	}
	grader.Process.Kill()
	grader.Wait()
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
