// Package setting names the settings a user can change to get past a
// problem, so that a message from below cmd can point at one without
// knowing how the command line spells it: the grader writes
// fmt.Sprintf("... (%s picks another interpreter)", setting.Python) and
// cmd/nplus1 says, once (Spell), that Python is "--python or NPLUS1_PYTHON".
// A program that uses the grader as a library gets the Options fields'
// names.
package setting

import "sync/atomic"

// A Setting is one a message can point at.
type Setting int

// The settings messages point at.
const (
	Python         Setting = iota // the Python interpreter Python programs run with
	SandboxOff                    // grading without a sandbox
	Local                         // PostgreSQL from the installed server binaries
	Docker                        // PostgreSQL in a container
	DatabaseURL                   // an existing PostgreSQL server
	RequestTimeout                // how long one request may take
	Challenge                     // the challenge a solution is graded against
)

// byDefault names each setting as a program using the packages below cmd
// sets it.
var byDefault = map[Setting]string{
	Python:         "Options.Python",
	SandboxOff:     `Options.Sandbox "off"`,
	Local:          "the local provider",
	Docker:         "the docker provider",
	DatabaseURL:    "the url provider",
	RequestTimeout: "Options.RequestTimeout",
	Challenge:      "Options.Challenge",
}

var spelled atomic.Pointer[map[Setting]string]

// Spell sets how messages name each setting from now on; a setting it
// leaves out keeps its name.
func Spell(names map[Setting]string) { spelled.Store(&names) }

// String is how a message names s.
func (s Setting) String() string {
	if names := spelled.Load(); names != nil {
		if name, ok := (*names)[s]; ok {
			return name
		}
	}
	return byDefault[s]
}
