package main

import (
	"testing"
	"testing/fstest"

	"github.com/nplus1/nplus1/challenges"
)

func TestChallengeLanguages(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("x")}
	tests := []struct {
		files fstest.MapFS
		want  string
	}{
		{fstest.MapFS{"starter/go/main.go": file, "starter/python/main.py": file, "reference/go/main.go": file, "reference/python/main.py": file}, "go, python"},
		{fstest.MapFS{"starter/go/main.go": file, "starter/python/main.py": file, "reference/go/main.go": file}, "go, python (references: go)"},
		{fstest.MapFS{"reference/go/main.go": file}, "none (references: go)"},
	}
	for _, tt := range tests {
		if got := languages(&challenges.Challenge{FS: tt.files}); got != tt.want {
			t.Errorf("languages(%v) = %q, want %q", tt.files, got, tt.want)
		}
	}
}
