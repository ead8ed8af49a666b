package grader

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/docker/go-units"
	"github.com/nplus1/nplus1/grader/runner"
)

// skipDirs are not part of a solution's content.
var skipDirs = map[string]bool{".git": true, "node_modules": true, "__pycache__": true, ".venv": true, "venv": true, "nplus1-results": true}

// digestDir returns "sha256:<hex>" over the regular files under dir: their
// slash-separated paths and contents, in lexical order.
func digestDir(dir string) (string, error) {
	d, err := digest(os.DirFS(dir))
	if err != nil {
		return "", fmt.Errorf("digest %s: %w", dir, err)
	}
	return d, nil
}

// digestFS is digestDir for an embedded or in-memory tree; an unreadable
// tree digests as "".
func digestFS(fsys fs.FS) string {
	d, _ := digest(fsys)
	return d
}

func digest(fsys fs.FS) (string, error) {
	h := sha256.New()
	left := int64(runner.DiskLimit) // what a sandbox may hold: a sparse file may say a terabyte
	err := fs.WalkDir(fsys, ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if path != "." && (skipDirs[e.Name()] || strings.HasPrefix(e.Name(), ".")) {
				return fs.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() {
			return nil
		}
		f, err := fsys.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		fmt.Fprintf(h, "%s\x00", path)
		n, err := io.Copy(h, io.LimitReader(f, left+1))
		if left -= n; left < 0 {
			return fmt.Errorf("the solution's files take more than the %s its sandbox may hold (%s is one): keep in it what the program needs", units.BytesSize(runner.DiskLimit), path)
		}
		h.Write([]byte{0})
		return err
	})
	if err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
