package runner

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// DefaultProgressEvery is how often a build still running says so, when
// BuildOptions.ProgressEvery is 0.
const DefaultProgressEvery = 10 * time.Second

// buildProgress writes a build's progress lines to BuildOptions.Progress:
// every so often the step under way and its elapsed time, and each module
// the go command says it downloads. A nil *buildProgress writes nothing.
type buildProgress struct {
	w     io.Writer
	every time.Duration

	mu        sync.Mutex
	partial   []byte // the output's unfinished last line
	downloads int    // modules downloaded in the step under way
}

func newBuildProgress(opts BuildOptions) *buildProgress {
	if opts.Progress == nil {
		return nil
	}
	every := opts.ProgressEvery
	if every <= 0 {
		every = DefaultProgressEvery
	}
	return &buildProgress{w: opts.Progress, every: every}
}

// tee returns out, and for a *buildProgress that is not nil, a writer to
// out that also reads the output for downloads.
func (p *buildProgress) tee(out io.Writer) io.Writer {
	if p == nil {
		return out
	}
	return io.MultiWriter(out, p)
}

// Write reads build output for the go command's "go: downloading MODULE
// VERSION" lines and says each as "build: downloading MODULE VERSION".
func (p *buildProgress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSpace(string(p.partial[:i]))
		p.partial = p.partial[i+1:]
		if mod, ok := strings.CutPrefix(line, "go: downloading "); ok {
			p.downloads++
			fmt.Fprintf(p.w, "build: downloading %s\n", mod)
		}
	}
	if len(p.partial) > 4096 { // a long line without an end: not the go command's
		p.partial = p.partial[:0]
	}
	return len(b), nil
}

// step says, every p.every while a build step runs, what it does and for
// how long so far: "build: fetching modules (go list -deps .), 10s so far".
// The returned stop ends it, and returns once no more line will come.
func (p *buildProgress) step(what string) (stop func()) {
	if p == nil {
		return func() {}
	}
	p.mu.Lock()
	p.downloads = 0
	p.mu.Unlock()
	start := time.Now()
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.mu.Lock()
				n := p.downloads
				p.mu.Unlock()
				line := fmt.Sprintf("build: %s, %s so far", what, elapsed(time.Since(start)))
				if n > 0 {
					line += fmt.Sprintf(" (%s downloaded)", plural(n, "module"))
				}
				fmt.Fprintln(p.w, line)
			}
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}

// buildStep names a build command for progress lines.
func buildStep(display string) string {
	if display == goBuildDisplay {
		return "compiling (" + display + ")"
	}
	return "running " + display
}

// elapsed is d for reading: whole seconds, or tenths below ten.
func elapsed(d time.Duration) string {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
