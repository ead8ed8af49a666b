package postgres

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/client"
)

// OfflineImage is the image scripts/offline-postgres-image.sh builds.
const offlineImage = "nplus1/postgres:15-offline"

// needDocker returns a client of the Docker engine and the image the docker
// tests run: NPLUS1_POSTGRES_IMAGE, else the offline image, else
// DefaultImage, whichever is present first (tests never pull). Without an
// engine or an image it skips the test, and fails it in CI.
func needDocker(t *testing.T) (*client.Client, string) {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and "+format, args...)
		}
		t.Skipf(format, args...)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	cli, err := findDocker(ctx)
	if err != nil {
		missing("no Docker engine: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	candidates := []string{offlineImage, DefaultImage}
	if image := os.Getenv("NPLUS1_POSTGRES_IMAGE"); image != "" {
		candidates = []string{image}
	}
	for _, image := range candidates {
		if _, err := cli.ImageInspect(ctx, image); err == nil {
			return cli, image
		}
	}
	missing("no PostgreSQL image among %q: run scripts/offline-postgres-image.sh", candidates)
	return nil, ""
}

// ourContainers lists the containers this test process started and has
// not removed.
func ourContainers(t *testing.T, cli *client.Client) []string {
	t.Helper()
	list, err := cli.ContainerList(context.Background(), client.ContainerListOptions{
		All: true,
		Filters: make(client.Filters).
			Add("label", ContainerLabel+"=1").
			Add("label", LabelPID+"="+strconv.Itoa(os.Getpid())),
	})
	if err != nil {
		t.Fatalf("list containers: %v", err)
	}
	var found []string
	for _, c := range list.Items {
		found = append(found, c.ID[:12]+" "+string(c.State))
	}
	return found
}

// noContainersLeft fails the test if a container this process started is
// still there.
func noContainersLeft(t *testing.T, cli *client.Client) {
	t.Helper()
	for _, c := range ourContainers(t, cli) {
		t.Errorf("container left behind: %s", c)
	}
}

func TestDockerSuite(t *testing.T) {
	cli, image := needDocker(t)
	runProviderSuite(t, NewDocker(DockerOptions{Image: image}), func(t *testing.T, inst Instance) {
		di := inst.(*dockerInstance)
		list, err := cli.ContainerList(t.Context(), client.ContainerListOptions{
			All: true, Filters: make(client.Filters).Add("label", labelID+"="+di.id),
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != 0 {
			t.Errorf("container %s still there after Terminate", list.Items[0].ID)
		}
		if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(di.port)), time.Second); err == nil {
			c.Close()
			t.Errorf("port %d still accepts connections", di.port)
		}
	})
	noContainersLeft(t, cli)
}

// TestDockerContainer checks how the container runs: data on tmpfs, fsync
// off, the port on 127.0.0.1 only, labelled; and how long a start takes.
func TestDockerContainer(t *testing.T) {
	cli, image := needDocker(t)
	p := NewDocker(DockerOptions{Image: image})
	for i := range 3 {
		start := time.Now()
		inst, err := p.Start(t.Context())
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { inst.Terminate(context.Background()) })
		di := inst.(*dockerInstance)

		ctr, err := cli.ContainerInspect(t.Context(), di.ctr.GetContainerID(), client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pgdata := imagePGDATA(t.Context(), cli, image)
		if _, ok := ctr.Container.HostConfig.Tmpfs[pgdata]; !ok {
			t.Errorf("tmpfs = %v, want one at PGDATA %s", ctr.Container.HostConfig.Tmpfs, pgdata)
		}
		for port, bindings := range ctr.Container.NetworkSettings.Ports {
			for _, b := range bindings {
				if b.HostIP.String() != "127.0.0.1" {
					t.Errorf("%s published on %s, want 127.0.0.1 only", port, b.HostIP)
				}
			}
		}
		if got := ctr.Container.Config.Labels[ContainerLabel]; got != "1" {
			t.Errorf("label %s = %q, want 1", ContainerLabel, got)
		}

		conn, err := pgx.Connect(t.Context(), inst.ConnectionString())
		if err != nil {
			t.Fatal(err)
		}
		var fsync, dataDir string
		if err := conn.QueryRow(t.Context(), "SELECT current_setting('fsync'), current_setting('data_directory')").Scan(&fsync, &dataDir); err != nil {
			t.Fatal(err)
		}
		conn.Close(context.Background())
		if fsync != "off" || dataDir != pgdata {
			t.Errorf("fsync = %s, data_directory = %s; want off and %s", fsync, dataDir, pgdata)
		}

		stop := time.Now()
		if err := inst.Terminate(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Logf("start #%d of %s: %v (PostgreSQL %s; terminate: %v)", i+1, image, took.Round(time.Millisecond), inst.Version(), time.Since(stop).Round(time.Millisecond))
	}
	noContainersLeft(t, cli)
}

// TestDockerStartCancelled cancels Start at various points and checks that
// no container is left.
func TestDockerStartCancelled(t *testing.T) {
	cli, image := needDocker(t)
	p := NewDocker(DockerOptions{Image: image})
	for _, after := range []time.Duration{0, 10 * time.Millisecond, 50 * time.Millisecond, 150 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1500 * time.Millisecond} {
		ctx, cancel := context.WithCancel(t.Context())
		timer := time.AfterFunc(after, cancel)
		inst, err := p.Start(ctx)
		timer.Stop()
		cancel()
		switch {
		case err == nil:
			t.Logf("cancel after %v: started before the cancel", after)
			if err := inst.Terminate(context.Background()); err != nil {
				t.Error(err)
			}
		case errors.Is(err, context.Canceled):
			t.Logf("cancel after %v: %v", after, err)
		default:
			t.Errorf("cancel after %v: %v, want context.Canceled", after, err)
		}
		noContainersLeft(t, cli)
	}
}

func TestDockerImageMissing(t *testing.T) {
	cli, _ := needDocker(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	_, err := NewDocker(DockerOptions{Image: "nplus1/no-such-image:never"}).Start(ctx)
	t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if err == nil || !strings.Contains(err.Error(), "nplus1/no-such-image:never") {
		t.Errorf("Start with a missing image: %v, want an error naming the image", err)
	}
	noContainersLeft(t, cli)
}

func TestDockerNoEngine(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	start := time.Now()
	_, err := NewDocker(DockerOptions{}).Start(t.Context())
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Start took %v without an engine, want < 2s", took)
	}
	if !errors.Is(err, ErrNotAvailable) {
		t.Fatalf("Start error = %v, want ErrNotAvailable", err)
	}
	for _, want := range []string{"/nonexistent/docker.sock", "systemctl start docker", "Docker Desktop", "colima"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
