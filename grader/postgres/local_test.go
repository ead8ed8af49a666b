package postgres

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nplus1/nplus1/internal/setting"
)

func TestLocalSuite(t *testing.T) {
	needLocal(t)
	runProviderSuite(t, NewLocal(LocalOptions{CacheDir: testCache}), func(t *testing.T, inst Instance) {
		li := inst.(*localInstance)
		if _, err := os.Stat(li.dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("temp dir %s still there (%v)", li.dir, err)
		}
		for _, p := range processesUsing(li.dir) {
			t.Errorf("left running: %s", p)
		}
		if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(li.port)), time.Second); err == nil {
			c.Close()
			t.Errorf("port %d still accepts connections", li.port)
		}
	})
}

func TestLocalStartTimeFromCache(t *testing.T) {
	needLocal(t)
	p := NewLocal(LocalOptions{CacheDir: testCache})
	warm, err := p.Start(t.Context()) // fills the cache if needed
	if err != nil {
		t.Fatal(err)
	}
	warm.Terminate(t.Context())
	for i := range 3 {
		start := time.Now()
		inst, err := p.Start(t.Context())
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		stopStart := time.Now()
		if err := inst.Terminate(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Logf("start #%d from cache: %v (terminate: %v)", i+1, took.Round(time.Millisecond), time.Since(stopStart).Round(time.Millisecond))
		if took > 3*time.Second {
			t.Errorf("start from cache took %v, want < 3s", took)
		}
	}
}

func TestLocalConcurrentFirstStart(t *testing.T) {
	needLocal(t)
	cache := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() {
			// Separate providers, as separate grades would be.
			inst, err := NewLocal(LocalOptions{CacheDir: cache}).Start(t.Context())
			if err == nil {
				err = inst.Terminate(t.Context())
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), "pg-") {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("cache holds %q, want one pg-* cluster", names)
	}
}

func TestLocalRootWithoutUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only meaningful when running as root")
	}
	needLocal(t)
	_, err := NewLocal(LocalOptions{User: "nplus1-no-such-user", CacheDir: t.TempDir()}).Start(t.Context())
	if !errors.Is(err, ErrNotAvailable) {
		t.Fatalf("Start error = %v, want ErrNotAvailable", err)
	}
	for _, want := range []string{"root", `"nplus1-no-such-user"`, "useradd"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestLocalBinariesNotFound(t *testing.T) {
	_, err := NewLocal(LocalOptions{BinDir: t.TempDir(), CacheDir: t.TempDir()}).Start(t.Context())
	if !errors.Is(err, ErrNotAvailable) {
		t.Fatalf("Start error = %v, want ErrNotAvailable", err)
	}
	for _, want := range []string{"apt-get install postgresql", "brew install postgresql@17", setting.Docker.String(), setting.DatabaseURL.String()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestLocalStartCancelled cancels Start at various points, initdb included,
// and checks that nothing is left in TMPDIR or the cache.
func TestLocalStartCancelled(t *testing.T) {
	needLocal(t)
	tmp, err := os.MkdirTemp("", "nplus1-cancel-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o755); err != nil { // reachable by the server's user when root
		t.Fatal(err)
	}
	fresh1, fresh2 := t.TempDir(), t.TempDir() // before TMPDIR changes
	t.Setenv("TMPDIR", tmp)

	cases := []struct {
		cache string
		delay time.Duration
	}{
		{testCache, 0},
		{testCache, time.Millisecond},
		{testCache, 10 * time.Millisecond},
		{testCache, 50 * time.Millisecond},
		{testCache, 100 * time.Millisecond},
		{testCache, 200 * time.Millisecond},
		{testCache, 400 * time.Millisecond},
		{testCache, 600 * time.Millisecond},
		{testCache, 800 * time.Millisecond},
		{fresh1, 100 * time.Millisecond}, // during initdb
		{fresh2, 300 * time.Millisecond},
	}
	for _, c := range cases {
		ctx, cancel := context.WithCancel(t.Context())
		if c.delay == 0 {
			cancel()
		} else {
			time.AfterFunc(c.delay, cancel)
		}
		inst, err := NewLocal(LocalOptions{CacheDir: c.cache}).Start(ctx)
		cancel()
		switch {
		case err == nil:
			t.Logf("cancel after %v: started before the cancel", c.delay)
			if err := inst.Terminate(context.Background()); err != nil {
				t.Fatal(err)
			}
		case !errors.Is(err, context.Canceled):
			t.Errorf("cancel after %v: Start error = %v, want context.Canceled", c.delay, err)
		}
		noLeftovers(t, tmp)
		if c.cache != testCache {
			staging, _ := filepath.Glob(filepath.Join(c.cache, "initdb-*"))
			for _, s := range staging {
				t.Errorf("cancel after %v: left behind %s", c.delay, s)
			}
		}
	}
}
