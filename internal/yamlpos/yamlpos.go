// Package yamlpos reads the line a yaml.v3 message is about.
package yamlpos

import (
	"regexp"
	"strconv"
	"strings"
)

// position matches the "line N: " that yaml.v3 puts in front of a message,
// after "yaml: " for syntax errors.
var position = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// parserProblems are yaml.v3's parser errors. For these it prints the
// 0-based line of the construct that failed (a flow mapping left open is
// reported at the line before its "{"); scanner and decoding errors it
// prints 1-based.
var parserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"found undefined tag handle",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
}

// Split splits one of yaml.v3's messages into its 1-based line (0 if it
// names none) and the message without its position and "yaml: " prefix.
func Split(msg string) (line int, text string) {
	m := position.FindStringSubmatch(msg)
	if m == nil {
		return 0, strings.TrimPrefix(msg, "yaml: ")
	}
	line, _ = strconv.Atoi(m[1])
	text = msg[len(m[0]):]
	for _, p := range parserProblems {
		if text == p {
			line++
			break
		}
	}
	return line, text
}
