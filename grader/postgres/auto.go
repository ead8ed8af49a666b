package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nplus1/nplus1/internal/setting"
)

// AutoOptions configures Auto: the options of the provider it picks.
type AutoOptions struct {
	Local  LocalOptions
	Docker DockerOptions
}

// autoHint says what to install when Auto finds nothing.
func autoHint() string {
	return fmt.Sprintf(`install one of:
  - PostgreSQL's server binaries (%s, the fastest):
      Debian/Ubuntu: sudo apt-get install postgresql
      Fedora:        sudo dnf install postgresql-server
      macOS:         brew install postgresql@17
  - Docker (%s):
      Linux: Docker Engine (https://docs.docker.com/engine/install/), then sudo systemctl start docker
      macOS: Docker Desktop (https://docs.docker.com/desktop/), or brew install colima docker && colima start
  - or grade on a server you have (%s): postgres://USER:PASSWORD@HOST/DB, a role with CREATEDB and CREATEROLE`,
		setting.Local, setting.Docker, setting.DatabaseURL)
}

// Auto picks the provider for "--postgres auto": local when the PostgreSQL
// server binaries are installed (and, running as root, the user to run
// them as exists), else docker when a Docker engine answers. It starts
// nothing. When neither is there it returns, within about two seconds, an
// error wrapping ErrNotAvailable that says why and what to install on
// Linux and macOS.
func Auto(ctx context.Context, opts AutoOptions) (Provider, error) {
	local := &localProvider{opts: opts.Local}
	localErr := local.available()
	if localErr == nil {
		return local, nil
	}
	probeCtx, cancel := context.WithTimeout(ctx, dockerProbeTimeout)
	defer cancel()
	cli, dockerErr := findDocker(probeCtx)
	if dockerErr == nil {
		cli.Close()
		return NewDocker(opts.Docker), nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, fmt.Errorf("%w: no PostgreSQL to grade with.\n  local: %s\n  docker: %v\nTo grade, %s",
		ErrNotAvailable, localErr, dockerErr, autoHint())
}

// available says why the local provider cannot run here, or nil if it can.
func (p *localProvider) available() error {
	if _, err := findBinDir(p.opts.BinDir); err != nil {
		where := "in PATH, pg_config --bindir or the usual places"
		if p.opts.BinDir != "" {
			where = "in " + p.opts.BinDir
		}
		return fmt.Errorf("no PostgreSQL server binaries (postgres and initdb) %s", where)
	}
	if _, err := p.runAs(); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), ErrNotAvailable.Error()+": "))
	}
	return nil
}
