package postgres

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
	"github.com/testcontainers/testcontainers-go/wait"
)

// DefaultImage is the image the docker provider runs unless told otherwise.
const DefaultImage = "postgres:17-alpine"

// Labels on every container the docker provider starts. A container
// labelled ContainerLabel=1 that outlives its grade is a leak.
const (
	// ContainerLabel marks the containers nplus1 starts.
	ContainerLabel = "nplus1"
	// labelID tells one start's container from any other.
	labelID = "nplus1.id"
	// LabelPID is the process id of the nplus1 that started the container.
	LabelPID = "nplus1.pid"
	// labelOwner names that process for a later nplus1 (processOwner).
	labelOwner = "nplus1.owner"
)

// ryukImage is the reaper image testcontainers-go v0.45.0 runs
// (internal/config.ReaperDefaultImage); keep it in step on upgrades.
const ryukImage = "testcontainers/ryuk:0.14.0"

// defaultPGDATA is the data directory of the official images up to 17.
const defaultPGDATA = "/var/lib/postgresql/data"

// dockerStartTimeout bounds the wait for SQL to answer once the container
// runs (pulling the image comes before and is bounded by ctx only).
const dockerStartTimeout = 60 * time.Second

// dockerProbeTimeout bounds the search for a Docker engine that answers.
const dockerProbeTimeout = 1500 * time.Millisecond

// dockerHint says what to do when no Docker engine answers.
const dockerHint = "start Docker (Linux: install Docker Engine, https://docs.docker.com/engine/install/, then systemctl start docker; " +
	"macOS: install and open Docker Desktop, or brew install colima docker && colima start), or set DOCKER_HOST"

// DockerOptions configures the docker provider. The zero value is ready to
// use.
type DockerOptions struct {
	// Image is the PostgreSQL image to run; empty means DefaultImage. An
	// image present locally is used as it is; a missing one is pulled. It
	// must behave like the official image: POSTGRES_USER,
	// POSTGRES_PASSWORD, POSTGRES_DB and PGDATA, and "postgres" as the
	// command (scripts/offline-postgres-image.sh builds one offline).
	Image string
	// Log, if set, receives the container's whole log when a start fails.
	Log io.Writer
}

// NewDocker returns the "docker" provider: PostgreSQL in a container,
// started with testcontainers-go's postgres module.
//
// The container keeps its data on a tmpfs at the image's PGDATA, runs with
// fsync off, publishes 5432 on 127.0.0.1 only, and is ready once a SQL
// query answers on that port. The instance's connection string is for the
// superuser "nplus1" with a random password, database "postgres", on
// 127.0.0.1, so the engine must publish ports on this machine (a local
// engine, Docker Desktop, colima, ...).
//
// The engine is DOCKER_HOST when set, else the first of the usual sockets
// that answers. Where testcontainers' reaper image (Ryuk) is not present
// locally, it is not run (it could not be pulled offline): Start sets
// TESTCONTAINERS_RYUK_DISABLED=true before the first testcontainers call,
// unless it is set already. Either way, Terminate removes the container,
// and so does a failed or cancelled Start. Containers are labelled
// ContainerLabel=1 and LabelPID=<the process id>: one left by a killed
// process is found with docker ps -a --filter label=nplus1=1, and the next
// Start on the same machine removes it (see removeOrphanContainers).
func NewDocker(opts DockerOptions) Provider {
	return &dockerProvider{opts: opts}
}

type dockerProvider struct {
	opts DockerOptions
}

func (p *dockerProvider) Name() string { return "docker" }

// Start implements Provider.
func (p *dockerProvider) Start(ctx context.Context) (Instance, error) {
	inst, err := p.start(ctx)
	if err != nil {
		return nil, fmt.Errorf("start docker postgres: %w", err)
	}
	return inst, nil
}

func (p *dockerProvider) start(ctx context.Context) (*dockerInstance, error) {
	probeCtx, cancel := context.WithTimeout(ctx, dockerProbeTimeout)
	cli, err := findDocker(probeCtx)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %v; %s", ErrNotAvailable, err, dockerHint)
	}
	setupTestcontainers(ctx, cli)
	removeOrphanContainers(ctx, cli)

	image := cmp.Or(p.opts.Image, DefaultImage)
	inst := &dockerInstance{cli: cli, id: randomID(), password: rand.Text(), image: image}
	pgdata := imagePGDATA(ctx, cli, image)
	port5432 := network.MustParsePort("5432/tcp")
	ready := &sqlReady{inst: inst}
	// A create request cut short may still make a container, one without
	// a handle to remove: ctx's cancellation waits until the daemon has
	// answered the create.
	runCtx, guard := holdCancelDuringCreate(ctx)
	defer guard.stop()
	ctr, err := tcpostgres.Run(runCtx, image,
		tcpostgres.WithUsername(superuser),
		tcpostgres.WithPassword(inst.password),
		tcpostgres.WithDatabase("postgres"),
		testcontainers.WithEnv(map[string]string{"PGDATA": pgdata}),
		testcontainers.WithTmpfs(map[string]string{pgdata: "rw"}),
		testcontainers.WithLabels(map[string]string{ContainerLabel: "1", labelID: inst.id, LabelPID: strconv.Itoa(os.Getpid()), labelOwner: processOwner()}),
		testcontainers.WithCmd("postgres",
			"-c", "fsync=off",
			"-c", "synchronous_commit=off",
			"-c", "full_page_writes=off",
			"-c", "max_connections=200",
		),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = network.PortMap{port5432: {{HostIP: netip.AddrFrom4([4]byte{127, 0, 0, 1})}}}
			hc.Ulimits = []*container.Ulimit{{Name: "data", Soft: BackendMemory, Hard: BackendMemory}}
		}),
		testcontainers.WithWaitStrategyAndDeadline(dockerStartTimeout, ready),
		testcontainers.WithAdditionalLifecycleHooks(guard.hooks()),
	)
	inst.ctr = ctr
	if err == nil {
		var mapped network.Port
		if mapped, err = ctr.MappedPort(ctx, "5432/tcp"); err == nil {
			inst.port = int(mapped.Num())
			return inst, nil
		}
	}

	// Keep what the container said, then remove it, whatever happened.
	var log []byte
	if ctr != nil && ctx.Err() == nil {
		log = containerLog(ctr)
	}
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if rmErr := inst.remove(cleanup); rmErr != nil {
		err = errors.Join(err, rmErr)
	}
	cli.Close()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if len(log) > 0 {
		if p.opts.Log != nil {
			p.opts.Log.Write(log)
		}
		return nil, fmt.Errorf("%s: %w\ncontainer log (last lines):\n%s", image, err, tail(log, 20))
	}
	return nil, fmt.Errorf("%s: %w", image, err)
}

// removeOrphanContainers removes the containers that an nplus1 killed
// before it could clean up left behind: labelled by a process of this boot
// and PID namespace that has ended (see ownerGone). Containers of other
// machines, namespaces or live processes are left alone. Errors are
// ignored: this is housekeeping, bounded to a few seconds.
func removeOrphanContainers(ctx context.Context, cli *client.Client) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", ContainerLabel+"=1"),
	})
	if err != nil {
		return
	}
	me := processOwner()
	for _, c := range list.Items {
		if owner := c.Labels[labelOwner]; owner != "" && ownerGone(me, owner) {
			cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		}
	}
}

// randomID returns 16 random hex digits.
func randomID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// dockerHosts lists the engines to try: DOCKER_HOST alone when set, as the
// docker CLI does, else the sockets testcontainers-go looks for, in its
// order, that exist.
func dockerHosts() []string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return []string{h}
	}
	var hosts []string
	add := func(h string) {
		if path, ok := strings.CutPrefix(h, "unix://"); ok {
			if _, err := os.Stat(path); err != nil {
				return
			}
		}
		for _, seen := range hosts {
			if seen == h {
				return
			}
		}
		hosts = append(hosts, h)
	}
	add(client.DefaultDockerHost)
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		add("unix://" + filepath.Join(dir, "docker.sock"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		add("unix://" + filepath.Join(home, ".docker", "run", "docker.sock"))
		add("unix://" + filepath.Join(home, ".docker", "desktop", "docker.sock"))
	}
	add("unix://" + filepath.Join("/run/user", strconv.Itoa(os.Getuid()), "docker.sock"))
	return hosts
}

// findDocker returns a client of the first engine in dockerHosts that
// answers a ping.
func findDocker(ctx context.Context) (*client.Client, error) {
	hosts := dockerHosts()
	if len(hosts) == 0 {
		return nil, fmt.Errorf("no Docker engine: DOCKER_HOST is not set and there is no socket at %s or in the usual per-user places",
			strings.TrimPrefix(client.DefaultDockerHost, "unix://"))
	}
	var errs []error
	for _, host := range hosts {
		cli, err := client.New(client.FromEnv, client.WithHost(host))
		if err == nil {
			if _, err = cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err == nil {
				return cli, nil
			}
			cli.Close()
		}
		errs = append(errs, fmt.Errorf("no Docker engine answers at %s: %w", host, err))
	}
	return nil, errors.Join(errs...)
}

// tcSetup is done once per process, before the first testcontainers call:
// testcontainers reads its configuration once.
var tcSetup sync.Once

// setupTestcontainers silences testcontainers' own log (only cmd/ writes to
// the terminal) and turns its reaper off where the reaper's image is not
// present locally.
func setupTestcontainers(ctx context.Context, cli *client.Client) {
	tcSetup.Do(func() {
		tclog.SetDefault(tclog.NewNoopLogger())
		if _, set := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); set {
			return
		}
		image := ryukImage
		if prefix := os.Getenv("TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX"); prefix != "" {
			image = strings.TrimSuffix(prefix, "/") + "/" + image
		}
		if _, err := cli.ImageInspect(ctx, image); err != nil {
			// Not pulled yet, or not pullable: either way, clean up ourselves.
			os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
		}
	})
}

// imagePGDATA returns the image's PGDATA when the image is present, else
// that of the official images up to 17.
func imagePGDATA(ctx context.Context, cli *client.Client, image string) string {
	res, err := cli.ImageInspect(ctx, image)
	if err == nil && res.Config != nil {
		for _, env := range res.Config.Env {
			if dir, ok := strings.CutPrefix(env, "PGDATA="); ok && strings.HasPrefix(dir, "/") {
				return dir
			}
		}
	}
	return defaultPGDATA
}

// createGuard passes the cancellation of a context on to the context
// testcontainers runs with, except while the container is being created:
// then it waits for the daemon's answer, so that a created container always
// has a handle to remove.
type createGuard struct {
	cancel    context.CancelFunc
	stopWatch func() bool // stops watching the parent context

	mu        sync.Mutex
	creating  bool
	cancelled bool
}

// holdCancelDuringCreate returns the context to run testcontainers with
// and its guard, whose hooks mark the create.
func holdCancelDuringCreate(ctx context.Context) (context.Context, *createGuard) {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	g := &createGuard{cancel: cancel}
	g.stopWatch = context.AfterFunc(ctx, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.cancelled = true
		if !g.creating {
			g.cancel()
		}
	})
	return runCtx, g
}

// stop ends the guard and cancels the context it returned.
func (g *createGuard) stop() {
	g.stopWatch()
	g.cancel()
}

// hooks mark the create: from just before the request to just after the
// container exists.
func (g *createGuard) hooks() testcontainers.ContainerLifecycleHooks {
	return testcontainers.ContainerLifecycleHooks{
		PreCreates: []testcontainers.ContainerRequestHook{func(context.Context, testcontainers.ContainerRequest) error {
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.cancelled {
				return context.Canceled
			}
			g.creating = true
			return nil
		}},
		PostCreates: []testcontainers.ContainerHook{func(context.Context, testcontainers.Container) error {
			g.mu.Lock()
			defer g.mu.Unlock()
			g.creating = false
			if g.cancelled {
				g.cancel()
			}
			return nil
		}},
	}
}

// containerLog returns the container's log, stdout and stderr together.
func containerLog(ctr *tcpostgres.PostgresContainer) []byte {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rc, err := ctr.Logs(ctx)
	if err != nil {
		return nil
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
}

// sqlReady is the wait strategy: ready once "SHOW server_version" answers
// on the published port, which also gives the instance its version. It
// stops early when the container exits.
type sqlReady struct {
	inst *dockerInstance
}

// WaitUntilReady implements wait.Strategy.
func (w *sqlReady) WaitUntilReady(ctx context.Context, target wait.StrategyTarget) error {
	var last error
	for {
		state, err := target.State(ctx)
		if err != nil {
			return fmt.Errorf("container state: %w", err)
		}
		if !state.Running {
			return fmt.Errorf("the container stopped (%s, exit code %d) before PostgreSQL answered", state.Status, state.ExitCode)
		}
		if port, err := target.MappedPort(ctx, "5432/tcp"); err != nil {
			last = err
		} else if version, err := serverVersion(ctx, w.inst.connString(int(port.Num()))); err != nil {
			last = err
		} else {
			w.inst.version = version
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("PostgreSQL did not answer: %w (last error: %v)", ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// serverVersion connects once and asks the server's version.
func serverVersion(ctx context.Context, connString string) (string, error) {
	cfg, err := pgconn.ParseConfig(connString)
	if err != nil {
		return "", err
	}
	cfg.ConnectTimeout = time.Second
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	res, err := conn.Exec(ctx, "SHOW server_version").ReadAll()
	if err != nil {
		return "", fmt.Errorf("show server_version: %w", err)
	}
	return string(res[0].Rows[0][0]), nil
}

// dockerInstance is a container started by the docker provider.
type dockerInstance struct {
	cli      *client.Client
	ctr      *tcpostgres.PostgresContainer // nil if Run returned none
	id       string                        // the labelID value
	image    string
	port     int
	password string
	version  string

	once sync.Once
	err  error
}

// connString is a URL for the superuser "nplus1", database "postgres", on
// 127.0.0.1:port without TLS.
func (i *dockerInstance) connString(port int) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(superuser, i.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Path:     "/postgres",
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// ConnectionString is a URL for the superuser "nplus1", database
// "postgres", on 127.0.0.1 without TLS.
func (i *dockerInstance) ConnectionString() string { return i.connString(i.port) }
func (i *dockerInstance) Version() string          { return i.version }
func (i *dockerInstance) Provider() string         { return "docker" }

// Copy implements Instance: the server's database "postgres" is copied
// through template1, this server being the grader's own.
func (i *dockerInstance) Copy(ctx context.Context) (Instance, error) {
	admin, err := withDatabase(i.ConnectionString(), "template1")
	if err != nil {
		return nil, err
	}
	return copyDatabase(ctx, admin, "postgres")
}

// Terminate removes the container. Later calls return the first call's
// result.
func (i *dockerInstance) Terminate(ctx context.Context) error {
	i.once.Do(func() {
		if err := i.remove(ctx); err != nil {
			i.err = fmt.Errorf("terminate docker postgres: %w", err)
		}
		i.cli.Close()
	})
	return i.err
}

// remove removes the container through testcontainers, then any container
// still labelled with this instance's id, which should be none.
func (i *dockerInstance) remove(ctx context.Context) error {
	var errs []error
	if i.ctr != nil {
		// The data is thrown away: no need for a clean shutdown.
		if err := i.ctr.Terminate(ctx, testcontainers.StopTimeout(0)); err != nil {
			errs = append(errs, err)
		}
	}
	list, err := i.cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", labelID+"="+i.id),
	})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("list containers: %w", err))...)
	}
	if len(list.Items) == 0 {
		return nil // gone: an error removing it above does not matter
	}
	for _, c := range list.Items {
		_, err := i.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		if err != nil {
			errs = append(errs, fmt.Errorf("remove container %.12s: %w", c.ID, err))
		}
	}
	return errors.Join(errs...)
}
