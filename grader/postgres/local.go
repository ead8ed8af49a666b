package postgres

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nplus1/nplus1/internal/filelock"
	"github.com/nplus1/nplus1/internal/procgroup"
	"github.com/nplus1/nplus1/internal/setting"
)

// LocalOptions configures the local provider. The zero value is ready to use.
type LocalOptions struct {
	// BinDir holds the postgres and initdb binaries. Empty means search
	// PATH, pg_config --bindir and the usual install locations.
	BinDir string
	// User is the OS user the server runs as when nplus1 runs as root
	// (PostgreSQL refuses to run as root). Empty means "postgres". It is
	// ignored when nplus1 is not root: the server runs as the current user.
	User string
	// CacheDir holds the initdb'ed clusters, one per PostgreSQL version and
	// binary directory. Empty means os.UserCacheDir()/nplus1.
	CacheDir string
	// Log, if set, receives the whole server log when a start fails.
	Log io.Writer
	// Settings are server settings passed as -c name=value, after the
	// provider's own (so they win): shared_preload_libraries, log_statement,
	// and so on.
	Settings map[string]string
}

// superuser is the superuser role initdb creates in the local cluster.
const superuser = "nplus1"

// cacheFormat changes whenever the initdb flags change, so that an old
// cached cluster is not reused.
const cacheFormat = "1"

// startTimeout bounds the wait for a started server to accept connections.
const startTimeout = 15 * time.Second

// stopTimeout bounds the wait for a fast shutdown before SIGKILL.
const stopTimeout = 5 * time.Second

// NewLocal returns the "local" provider: a throwaway cluster made from the
// installed PostgreSQL server binaries.
//
// The first Start runs initdb once into a per-version cache; every Start
// copies that cluster into a fresh temp dir (prefix "nplus1-pg-") and runs
// postgres on 127.0.0.1 on a free port, without a Unix socket, with
// durability turned off. Terminate stops the server and removes the dir.
//
// The instance's connection string is for the superuser "nplus1" with a
// random password, database "postgres".
func NewLocal(opts LocalOptions) Provider {
	return &localProvider{opts: opts}
}

type localProvider struct {
	opts LocalOptions
	mu   sync.Mutex // serialises initdb within the process
}

// runAs is the unprivileged user the server runs as when we are root.
type runAs struct {
	name     string
	uid, gid uint32
}

func (p *localProvider) Name() string { return "local" }

// Start implements Provider.
func (p *localProvider) Start(ctx context.Context) (Instance, error) {
	inst, err := p.start(ctx)
	if err != nil {
		return nil, fmt.Errorf("start local postgres: %w", err)
	}
	return inst, nil
}

func (p *localProvider) start(ctx context.Context) (*localInstance, error) {
	bin, err := findBinDir(p.opts.BinDir)
	if err != nil {
		return nil, err
	}
	as, err := p.runAs()
	if err != nil {
		return nil, err
	}
	cache, password, err := p.cluster(ctx, bin, as)
	if err != nil {
		return nil, err
	}

	parent := clusterParent()
	filelock.RemoveOrphans(parent, clusterDirPrefix+"*")
	dir, err := os.MkdirTemp(parent, clusterDirPrefix)
	if err != nil {
		return nil, err
	}
	inst := &localInstance{dir: dir, password: password}
	if inst.lock, err = filelock.LockDir(dir); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	ok := false
	defer func() {
		if !ok {
			inst.stop(context.Background())
		}
	}()

	data := filepath.Join(dir, "data")
	if err := os.CopyFS(data, os.DirFS(filepath.Join(cache, "data"))); err != nil {
		return nil, fmt.Errorf("copy cached cluster: %w", err)
	}
	if err := os.Chmod(data, 0o700); err != nil { // postgres insists
		return nil, err
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the server keeps its own descriptor
	if as != nil {
		if err := chownAll(dir, as); err != nil {
			return nil, err
		}
	}

	// A free port can be taken between our probe and the server's bind:
	// retry a few times on a bind clash.
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		port, err := procgroup.FreePort()
		if err != nil {
			return nil, err
		}
		inst.port = port
		if err := logFile.Truncate(0); err != nil { // only this attempt's log
			return nil, err
		}
		if err := inst.run(bin, as, logFile, p.opts.Settings); err != nil {
			return nil, err
		}
		inst.version, err = inst.waitReady(ctx)
		if err == nil {
			break
		}
		inst.kill(context.Background())
		log, _ := os.ReadFile(logFile.Name())
		if attempt < 3 && bytes.Contains(log, []byte("could not bind")) {
			continue
		}
		if p.opts.Log != nil {
			p.opts.Log.Write(log)
		}
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w\nserver log (last lines):\n%s", err, tail(log, 20))
	}
	ok = true
	return inst, nil
}

// clusterDirPrefix starts the name of every throwaway cluster's temp dir.
const clusterDirPrefix = "nplus1-pg-"

// runAs says which user the server must run as: nil for the current user,
// or the configured unprivileged user when we are root.
func (p *localProvider) runAs() (*runAs, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	name := p.opts.User
	if name == "" {
		name = "postgres"
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("%w: nplus1 runs as root and PostgreSQL refuses to run as root, so it runs the server as user %q, which was not found (%v); create it (useradd --system %s) or run nplus1 as a normal user",
			ErrNotAvailable, name, err, name)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("user %q: %w", name, err)
	}
	if uid == 0 {
		return nil, fmt.Errorf("%w: user %q is root, and PostgreSQL refuses to run as root", ErrNotAvailable, name)
	}
	return &runAs{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
}

// findBinDir returns the directory holding both postgres and initdb.
func findBinDir(binDir string) (string, error) {
	if binDir != "" {
		if !hasServer(binDir) {
			return "", fmt.Errorf("%w: no postgres and initdb in %s; %s", ErrNotAvailable, binDir, installHint())
		}
		return binDir, nil
	}
	if initdb, err := exec.LookPath("initdb"); err == nil && hasServer(filepath.Dir(initdb)) {
		return filepath.Dir(initdb), nil
	}
	if pgConfig, err := exec.LookPath("pg_config"); err == nil {
		out, err := exec.Command(pgConfig, "--bindir").Output()
		if dir := strings.TrimSpace(string(out)); err == nil && hasServer(dir) {
			return dir, nil
		}
	}
	for _, pattern := range []string{
		"/usr/lib/postgresql/*/bin",
		"/opt/homebrew/opt/postgresql@*/bin",
		"/usr/local/opt/postgresql@*/bin",
		"/opt/homebrew/bin",
		"/usr/local/bin",
		"/Applications/Postgres.app/Contents/Versions/*/bin",
	} {
		dirs, _ := filepath.Glob(pattern)
		// Newest major first: the version is the parent's name, after any '@'.
		major := func(dir string) float64 {
			name := filepath.Base(filepath.Dir(dir))
			v, err := strconv.ParseFloat(name[strings.LastIndex(name, "@")+1:], 64)
			if err != nil {
				return math.Inf(-1)
			}
			return v
		}
		slices.SortStableFunc(dirs, func(a, b string) int { return cmp.Compare(major(b), major(a)) })
		for _, dir := range dirs {
			if hasServer(dir) {
				return dir, nil
			}
		}
	}
	return "", fmt.Errorf("%w: no PostgreSQL server binaries (postgres and initdb) in PATH, pg_config --bindir or the usual places; %s",
		ErrNotAvailable, installHint())
}

// installHint says what to do when the server binaries are missing.
func installHint() string {
	return fmt.Sprintf("install them (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql@17), or use %s or %s",
		setting.Docker, setting.DatabaseURL)
}

// hasServer reports whether dir holds executable postgres and initdb files.
func hasServer(dir string) bool {
	for _, name := range []string{"postgres", "initdb"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// cluster returns the cached initdb'ed cluster for the binaries in bin,
// creating it if needed, and its superuser password. The cache entry
// <CacheDir>/<key> holds data/ and password; it is built in a temp dir in
// CacheDir and renamed into place, so concurrent grades never see half a
// cluster, and a loser of the race uses the winner's.
func (p *localProvider) cluster(ctx context.Context, bin string, as *runAs) (dir, password string, err error) {
	out, err := exec.CommandContext(ctx, filepath.Join(bin, "postgres"), "--version").Output()
	if err != nil {
		if ctx.Err() != nil {
			return "", "", ctx.Err()
		}
		return "", "", fmt.Errorf("postgres --version: %w", err)
	}
	cacheDir := p.opts.CacheDir
	if cacheDir == "" {
		userCache, err := os.UserCacheDir()
		if err != nil {
			return "", "", fmt.Errorf("find cache dir: %w", err)
		}
		cacheDir = filepath.Join(userCache, "nplus1")
	}
	sum := sha256.Sum256([]byte(cacheFormat + "\x00" + bin))
	version := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, strings.TrimSpace(string(out)))
	dir = filepath.Join(cacheDir, "pg-"+version+"-"+hex.EncodeToString(sum[:6]))

	p.mu.Lock()
	defer p.mu.Unlock()
	if pw, err := os.ReadFile(filepath.Join(dir, "password")); err == nil {
		return dir, string(pw), nil
	}
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		return "", "", fmt.Errorf("create cache dir: %w", err)
	}
	stage, err := os.MkdirTemp(cacheDir, "initdb-")
	if err != nil {
		return "", "", fmt.Errorf("create cache dir: %w", err)
	}
	defer os.RemoveAll(stage) // a no-op once renamed
	password = rand.Text()
	if err := initdb(ctx, bin, stage, password, as); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(filepath.Join(stage, "password"), []byte(password), 0o600); err != nil {
		return "", "", err
	}
	if err := os.Rename(stage, dir); err != nil {
		// Another grade may have won the race: use its cluster.
		if pw, err2 := os.ReadFile(filepath.Join(dir, "password")); err2 == nil {
			return dir, string(pw), nil
		}
		return "", "", fmt.Errorf("store cached cluster: %w", err)
	}
	return dir, password, nil
}

// initdb creates a cluster in stage/data. Running as root, initdb runs as the
// unprivileged user in a temp dir it can reach, and the result is copied in.
func initdb(ctx context.Context, bin, stage, password string, as *runAs) error {
	work := stage
	if as != nil {
		var err error
		if work, err = os.MkdirTemp("", "nplus1-initdb-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	pwfile := filepath.Join(work, "pwfile")
	if err := os.WriteFile(pwfile, []byte(password+"\n"), 0o600); err != nil {
		return err
	}
	if as != nil {
		if err := chownAll(work, as); err != nil {
			return err
		}
	}
	// --wal-segsize=1 keeps pg_wal small, so the per-start copy is quick.
	// --no-instructions is left out: it needs PostgreSQL 14, and the
	// output is only shown on failure anyway.
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", filepath.Join(work, "data"), "-U", superuser, "-E", "UTF8", "--locale=C",
		"--auth=scram-sha-256", "--pwfile="+pwfile, "--no-sync", "--wal-segsize=1")
	cmd.Dir = work
	cmd.SysProcAttr = procAttr(as)
	// On SIGTERM initdb stops after its current step and removes what it
	// made; killing it and its backend would leave shared memory segments
	// behind. exec kills initdb if it takes too long.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = stopTimeout
	if out, err := cmd.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("initdb: %w\n%s", err, tail(out, 20))
	}
	if as != nil {
		if err := os.CopyFS(filepath.Join(stage, "data"), os.DirFS(filepath.Join(work, "data"))); err != nil {
			return fmt.Errorf("copy cluster into cache: %w", err)
		}
	}
	return nil
}

// chownAll hands dir and everything in it to the user.
func chownAll(dir string, as *runAs) error {
	return filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(as.uid), int(as.gid))
	})
}

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// localInstance is a server started by the local provider.
type localInstance struct {
	dir      string   // temp dir: data/, server.log and the owner lock
	lock     *os.File // the owner lock, held while dir is in use
	port     int
	password string
	version  string

	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has been waited for

	once sync.Once
	err  error
}

// run starts the server in its own process group.
func (i *localInstance) run(bin string, as *runAs, log *os.File, settings map[string]string) error {
	args := []string{
		"-D", filepath.Join(i.dir, "data"),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "port=" + strconv.Itoa(i.port),
		"-c", "unix_socket_directories=",
		"-c", "max_connections=200",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "huge_pages=off",
	}
	if runtime.GOOS != "windows" {
		// Dynamic shared memory as files in the data directory, removed
		// with it, rather than /dev/shm/PostgreSQL.* segments that a
		// killed server leaves behind.
		args = append(args, "-c", "dynamic_shared_memory_type=mmap")
	}
	for _, name := range slices.Sorted(maps.Keys(settings)) {
		args = append(args, "-c", name+"="+settings[name])
	}
	name, argv := bounded(filepath.Join(bin, "postgres"), args)
	i.cmd = exec.Command(name, argv...)
	i.cmd.Dir = i.dir
	i.cmd.Stdout, i.cmd.Stderr = log, log
	i.cmd.SysProcAttr = procAttr(as)
	if err := i.cmd.Start(); err != nil {
		i.cmd = nil
		return fmt.Errorf("run postgres: %w", err)
	}
	i.exited = make(chan struct{})
	go func() {
		i.cmd.Wait()
		close(i.exited)
	}()
	return nil
}

// waitReady waits until the server answers a SQL connection and returns
// its version.
func (i *localInstance) waitReady(ctx context.Context) (string, error) {
	cfg, err := pgconn.ParseConfig(i.ConnectionString())
	if err != nil {
		return "", err
	}
	cfg.ConnectTimeout = time.Second
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	for {
		conn, err := pgconn.ConnectConfig(ctx, cfg)
		if err == nil {
			defer conn.Close(context.Background())
			// The cached cluster's password sits in a file on disk: give
			// this run's superuser a fresh one that exists only in memory.
			fresh := rand.Text()
			res, err := conn.Exec(ctx, fmt.Sprintf("ALTER ROLE %s PASSWORD '%s'; SHOW server_version", superuser, fresh)).ReadAll()
			if err != nil {
				return "", fmt.Errorf("set the superuser password: %w", err)
			}
			i.password = fresh
			return string(res[1].Rows[0][0]), nil
		}
		select {
		case <-i.exited:
			return "", fmt.Errorf("postgres exited at start: %s", i.cmd.ProcessState)
		case <-ctx.Done():
			return "", ctx.Err()
		case <-deadline.C:
			return "", fmt.Errorf("postgres did not accept connections within %s: %w", startTimeout, err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stop stops the server and removes the temp dir and, if the server was
// killed, its shared memory.
func (i *localInstance) stop(ctx context.Context) error {
	i.kill(ctx)
	removeSharedMemory(filepath.Join(i.dir, "data"))
	err := os.RemoveAll(i.dir)
	if i.lock != nil {
		i.lock.Close()
	}
	if err != nil {
		return fmt.Errorf("remove %s: %w", i.dir, err)
	}
	return nil
}

// kill shuts the server down, if it runs: fast shutdown, then SIGKILL after
// stopTimeout or once ctx is done.
func (i *localInstance) kill(ctx context.Context) {
	if i.cmd != nil {
		procgroup.Signal(i.cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-i.exited:
		case <-ctx.Done():
		case <-time.After(stopTimeout):
		}
		select {
		case <-i.exited:
		default:
			procgroup.Signal(i.cmd.Process.Pid, syscall.SIGKILL)
			<-i.exited
		}
		i.cmd = nil
	}
}

// ConnectionString is a URL for the superuser "nplus1", database
// "postgres", on 127.0.0.1 without TLS.
func (i *localInstance) ConnectionString() string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(superuser, i.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(i.port)),
		Path:     "/postgres",
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

func (i *localInstance) Version() string  { return i.version }
func (i *localInstance) Provider() string { return "local" }

// Copy implements Instance: the server's database "postgres" is copied
// through template1, this server being the grader's own.
func (i *localInstance) Copy(ctx context.Context) (Instance, error) {
	admin, err := withDatabase(i.ConnectionString(), "template1")
	if err != nil {
		return nil, err
	}
	return copyDatabase(ctx, admin, "postgres")
}

// Terminate stops the server and removes its temp dir. Later calls return
// the first call's result.
func (i *localInstance) Terminate(ctx context.Context) error {
	i.once.Do(func() {
		if err := i.stop(ctx); err != nil {
			i.err = fmt.Errorf("terminate local postgres: %w", err)
		}
	})
	return i.err
}
