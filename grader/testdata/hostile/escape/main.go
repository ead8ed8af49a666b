// A cheat that tries to leave its sandbox before it serves: it signals its
// parent and PID 1, looks through every /proc/PID/environ for the grader's
// secrets, looks for the Docker socket and the cluster's pg_hba.conf, and
// leaves a daemon in a session of its own, and reads the file its
// secretpath names (a signing key the grader was given as a file). It prints what it managed on one
// line, "ESCAPE-REPORT: {...}", then serves the right answer through the
// proxy.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
)

type report struct {
	ParentPid       int      `json:"parent_pid"`
	SignalledParent bool     `json:"signalled_parent"` // a parent other than PID 1 took SIGSTOP
	Secrets         []string `json:"secrets"`          // environ files holding the grader's secret
	Processes       int      `json:"processes"`        // how many processes /proc shows
	DockerSocket    bool     `json:"docker_socket"`
	HBA             []string `json:"hba"`      // pg_hba.conf files found
	KeyFile         bool     `json:"key_file"` // read the file ./secretpath names
	Daemon          int      `json:"daemon"`
}

func main() {
	var r report
	r.ParentPid = os.Getppid()
	if r.ParentPid > 1 && syscall.Kill(r.ParentPid, syscall.SIGSTOP) == nil {
		r.SignalledParent = true
		syscall.Kill(r.ParentPid, syscall.SIGCONT)
	}
	syscall.Kill(1, syscall.SIGKILL)
	environs, _ := filepath.Glob("/proc/[0-9]*/environ")
	r.Processes = len(environs)
	for _, e := range environs {
		if b, err := os.ReadFile(e); err == nil && strings.Contains(string(b), "NPLUS1_ESCAPE_SECRET=") {
			r.Secrets = append(r.Secrets, e)
		}
	}
	for _, p := range []string{"/var/run/docker.sock", "/run/docker.sock"} {
		if _, err := os.Stat(p); err == nil {
			r.DockerSocket = true
		}
	}
	for _, pattern := range []string{"/dev/shm/*/pg_hba.conf", "/tmp/*/pg_hba.conf", os.TempDir() + "/*/pg_hba.conf", "/tmp/*/*/pg_hba.conf"} {
		found, _ := filepath.Glob(pattern)
		r.HBA = append(r.HBA, found...)
	}
	if path, err := os.ReadFile("secretpath"); err == nil {
		_, err := os.ReadFile(strings.TrimSpace(string(path)))
		r.KeyFile = err == nil
	}
	daemon := exec.Command("/bin/sh", "-c", "sleep 600; : nplus1-escape-daemon")
	daemon.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if daemon.Start() == nil {
		r.Daemon = daemon.Process.Pid
	}
	b, _ := json.Marshal(r)
	fmt.Printf("ESCAPE-REPORT: %s\n", b)

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	http.HandleFunc("/api/orders", func(w http.ResponseWriter, _ *http.Request) {
		var js []byte
		err := conn.QueryRow(ctx, `SELECT coalesce(json_agg(json_build_object('id', o.id, 'product', o.product,
			'user', json_build_object('id', u.id, 'name', u.name, 'email', u.email)) ORDER BY o.id), '[]')
			FROM orders o JOIN users u ON u.id = o.user_id`).Scan(&js)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(js)
	})
	panic(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}
