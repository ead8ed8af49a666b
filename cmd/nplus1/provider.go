package main

import (
	"context"

	"github.com/nplus1/nplus1/grader/postgres"
)

// providerChoice is what a command's flags say of where PostgreSQL comes
// from.
type providerChoice struct {
	Name        string // --postgres: auto, local, docker or url
	Image       string // --image, for docker ("" for the default)
	DatabaseURL string // --database-url, for url (and auto, which then means url)
}

// newProvider is the Factory's Provider: the provider the choice names.
// With auto and neither local binaries nor Docker, it says what to install
// (a machine's error, exit 3); auto's probe of Docker takes 1.5 s at most.
func newProvider(ctx context.Context, c providerChoice) (postgres.Provider, error) {
	docker := postgres.DockerOptions{Image: c.Image}
	switch c.Name {
	case "auto":
		if c.DatabaseURL != "" {
			return postgres.NewURL(c.DatabaseURL), nil
		}
		return postgres.Auto(ctx, postgres.AutoOptions{Docker: docker})
	case "local":
		return postgres.NewLocal(postgres.LocalOptions{}), nil
	case "docker":
		return postgres.NewDocker(docker), nil
	case "url":
		if c.DatabaseURL == "" {
			return nil, usageError("--postgres url needs --database-url URL (or NPLUS1_DATABASE_URL)")
		}
		return postgres.NewURL(c.DatabaseURL), nil
	}
	return nil, usageError("--postgres %q: use auto, local, docker or url", c.Name)
}
