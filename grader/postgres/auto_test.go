package postgres

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nplus1/nplus1/internal/setting"
)

func TestAutoPicksLocal(t *testing.T) {
	needLocal(t)
	p, err := Auto(t.Context(), AutoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "local" {
		t.Errorf("Auto picked %q with the binaries installed, want local", p.Name())
	}
}

func TestAutoPicksDockerWithoutBinaries(t *testing.T) {
	needDocker(t)
	p, err := Auto(t.Context(), AutoOptions{Local: LocalOptions{BinDir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "docker" {
		t.Errorf("Auto picked %q without binaries, want docker", p.Name())
	}
}

func TestAutoNeither(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	start := time.Now()
	p, err := Auto(t.Context(), AutoOptions{Local: LocalOptions{BinDir: t.TempDir()}})
	took := time.Since(start)
	if !errors.Is(err, ErrNotAvailable) {
		t.Fatalf("Auto = %v, %v; want ErrNotAvailable", p, err)
	}
	t.Logf("after %v:\n%v", took, err)
	if took > 2*time.Second {
		t.Errorf("Auto took %v, want < 2s", took)
	}
	for _, want := range []string{
		"no PostgreSQL server binaries", "/nonexistent/docker.sock",
		"apt-get install postgresql", "brew install postgresql@17",
		"systemctl start docker", "Docker Desktop", "colima", setting.DatabaseURL.String(),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q", want)
		}
	}
}
