package challenges

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// goModule holds the go.mod and go.sum a Go program of the catalog builds
// with outside this repository, pinned: pgx v5 and its dependencies for
// "go" (golang/), GORM, its postgres driver and theirs for "gorm"
// (golang/gorm/). They are stored as .txt files because go:embed cannot
// take a nested go.mod.
//
//go:embed golang/go.mod.txt golang/go.sum.txt golang/gorm/go.mod.txt golang/gorm/go.sum.txt
var goModule embed.FS

// goModules is the directory of goModule that holds each Go stack's files.
var goModules = map[string]string{"go": "golang", "gorm": "golang/gorm"}

// ErrExists is wrapped by WriteProgram when a file it would write exists.
var ErrExists = errors.New("file exists")

// ProgramFiles returns the files of the challenge's kind ("starter" or
// "reference") program in language lang, by slash-separated path. A Go
// program ("go" or "gorm") gets a go.mod and go.sum when it has none, so
// that it builds on its own, outside this repository.
func (c *Challenge) ProgramFiles(kind, lang string) (map[string][]byte, error) {
	if !slices.Contains(c.Languages(kind), lang) {
		return nil, fmt.Errorf("challenge %s has no %s in %q (it has: %s)", c.ID, kind, lang, strings.Join(c.Languages(kind), ", "))
	}
	src := path.Join(kind, lang)
	files := map[string][]byte{}
	err := fs.WalkDir(c.FS, src, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(c.FS, p)
		files[strings.TrimPrefix(p, src+"/")] = b
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", c.Source, src, err)
	}
	if mod, ok := goModules[lang]; ok && files["go.mod"] == nil {
		for _, name := range []string{"go.mod", "go.sum"} {
			b, err := goModule.ReadFile(mod + "/" + name + ".txt")
			if err != nil {
				return nil, err
			}
			files[name] = b
		}
	}
	return files, nil
}

// WriteFiles writes files (by slash-separated path) into dir, creating it.
// It refuses to overwrite: when any file exists it writes nothing and
// returns an error that names them and wraps ErrExists. It returns the
// paths written, sorted.
func WriteFiles(dir string, files map[string][]byte) ([]string, error) {
	names := make([]string, 0, len(files))
	var existing []string
	for name := range files {
		names = append(names, name)
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			existing = append(existing, name)
		}
	}
	slices.Sort(names)
	if len(existing) > 0 {
		slices.Sort(existing)
		return nil, fmt.Errorf("%s already has %s: %w; choose an empty directory", dir, strings.Join(existing, ", "), ErrExists)
	}
	for _, name := range names {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return nil, err
		}
	}
	return names, nil
}
