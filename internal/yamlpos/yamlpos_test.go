package yamlpos

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

// The line Split gives is the line of the mistake in the document, for
// parser errors (which yaml.v3 numbers from 0), scanner errors and decoding
// errors alike.
func TestSplitGivesTheLineOfTheMistake(t *testing.T) {
	tests := []struct {
		doc  string
		line int
	}{
		{"a: 1\nb: 2\ndata: {size: 100\nc: 3\n", 3}, // flow mapping left open (parser)
		{"a: 1\nlevel: [beginner\n", 2},             // flow sequence left open (parser)
		{"a: 1\nb: 2\nc: d: e\n", 3},                // mapping value in the wrong place (scanner)
		{"a: 1\nb:\n  - x\n  y: 2\n", 3},            // the sequence that "y:" breaks begins on line 3 (parser)
		{"a: 1\nb: \"open\n", 2},                    // quoted scalar never closed (scanner)
	}
	for _, tt := range tests {
		var v any
		err := yaml.Unmarshal([]byte(tt.doc), &v)
		if err == nil {
			t.Fatalf("%q parsed", tt.doc)
		}
		if line, text := Split(err.Error()); line != tt.line {
			t.Errorf("%q: %v: line %d (%s), want %d", tt.doc, err, line, text, tt.line)
		}
	}
	var n struct{ A int }
	err := yaml.Unmarshal([]byte("a: 1\n\na: x\n"), &n)
	if line, _ := Split(err.(*yaml.TypeError).Errors[0]); line != 3 {
		t.Errorf("decoding error %v: line %d, want 3", err, line)
	}
}
