package runner

import (
	"errors"
	"fmt"
	"time"

	"github.com/docker/go-units"
)

// LearnerError is implemented by errors that are the learner's fault, as
// opposed to the machine's: see the package documentation.
type LearnerError interface {
	error
	// LearnerOutput is what the learner's program (or its build) printed,
	// the last 64 KiB at most; it may be empty.
	LearnerOutput() string
}

// ErrPortTaken is wrapped by Start when another program already listens on
// the port it was given; the caller may pick another port and retry.
var ErrPortTaken = errors.New("the port is already taken by another program")

// IsLearnerFault reports whether err, or an error it wraps, is a
// LearnerError.
func IsLearnerFault(err error) bool {
	var le LearnerError
	return errors.As(err, &le)
}

// ManifestError says that a solution directory cannot be run as it stands:
// nplus1.yaml is malformed or names an unknown field, or nothing in the
// directory says how to run it. It is the learner's fault.
type ManifestError struct {
	// Msg is the whole message, starting with the file (and line) it is
	// about where there is one: "solution/nplus1.yaml:3: field buidl not
	// found (known fields: challenge, stack, build, run)".
	Msg string
}

func (e *ManifestError) Error() string { return e.Msg }

// LearnerOutput is empty: nothing ran.
func (e *ManifestError) LearnerOutput() string { return "" }

// BuildError is a build that failed: the learner's fault.
type BuildError struct {
	// Command is the build command as run, for the learner to reproduce.
	Command string
	// Output is what the build printed (stdout and stderr interleaved),
	// its last 64 KiB at most.
	Output string
	// Err is the exit status.
	Err error
	// Timeout is set when the build was stopped for taking longer than it
	// (BuildOptions.Timeout).
	Timeout time.Duration
}

func (e *BuildError) Error() string {
	if e.Timeout > 0 {
		return fmt.Sprintf("build failed: %s took more than %s and was stopped", e.Command, e.Timeout)
	}
	return fmt.Sprintf("build failed: %s: %v", e.Command, e.Err)
}

func (e *BuildError) Unwrap() error { return e.Err }

// LearnerOutput is the build's output.
func (e *BuildError) LearnerOutput() string { return e.Output }

// NotMainError is a Go solution whose package is not main: go build makes
// a library of it, with nothing to run. It is the learner's fault.
type NotMainError struct {
	// File is the file whose package clause is shown (main.go if the
	// package has it), Package the package it declares.
	File, Package string
}

func (e *NotMainError) Error() string {
	return fmt.Sprintf("%s declares package %s: a Go solution must be package main with a func main", e.File, e.Package)
}

// LearnerOutput is empty: nothing was built.
func (e *NotMainError) LearnerOutput() string { return "" }

// ExitError is a solution program that exited: before it listened (from
// Start) or later (from Process.Exited). It is the learner's fault: a server
// should keep running until it is stopped.
type ExitError struct {
	// Code is the exit status, or -1 if a signal ended the program.
	Code int
	// State says how it ended, as os.ProcessState prints it: "exit status
	// 3", "signal: killed".
	State string
	// Addr is the address the program was expected to listen on, set when
	// it exited before it did (the error comes from Start).
	Addr string
	// Output is what the program printed, its last 64 KiB at most.
	Output string
	// MemoryLimit is the memory limit it ran under, in bytes (0: none);
	// MemoryUsed, if not 0, is the memory of its group when it was stopped
	// for reaching the limit: by the runner's watch, or by the kernel (its
	// sandbox's cgroup, whose peak it is then, or the limit).
	MemoryLimit, MemoryUsed int64
}

func (e *ExitError) Error() string {
	state := e.State
	if e.MemoryUsed > 0 {
		// Which of the two stopped it, and so how it ended (killed, or
		// its sandbox ended), is the machine's detail and a race: the
		// message is the same.
		state = fmt.Sprintf("it used %s of memory, reaching the %s a solution may use, and was stopped",
			units.BytesSize(float64(e.MemoryUsed)), units.BytesSize(float64(e.MemoryLimit)))
	}
	if e.Addr != "" {
		return fmt.Sprintf("the program exited before it listened on %s (%s)", e.Addr, state)
	}
	return state
}

// LearnerOutput is the program's output.
func (e *ExitError) LearnerOutput() string { return e.Output }

// NotListeningError is a program that kept running but did not accept
// connections on its address within the ready timeout: the learner's fault.
type NotListeningError struct {
	// Addr is where it should have listened: 127.0.0.1:PORT.
	Addr string
	// Timeout is how long Start waited.
	Timeout time.Duration
	// Listening lists the TCP addresses the program's processes listen on
	// instead, if any and if that could be found out (Linux only).
	Listening []string
	// Output is what the program printed, its last 64 KiB at most.
	Output string
	// Early: Start stopped waiting before the timeout, as the program
	// kept listening elsewhere (for Timeout) and not on Addr.
	Early bool
}

func (e *NotListeningError) Error() string {
	if e.Early {
		return fmt.Sprintf("the program listens on %s, not on %s, where it was asked to (it did so for %s, and was stopped): serve on 127.0.0.1 and the port in $PORT", joinAddrs(e.Listening), e.Addr, e.Timeout)
	}
	msg := fmt.Sprintf("the program did not listen on %s within %s", e.Addr, e.Timeout)
	if len(e.Listening) > 0 {
		msg += fmt.Sprintf("; it listens on %s instead: serve on 127.0.0.1 and the port in $PORT", joinAddrs(e.Listening))
	}
	return msg
}

// LearnerOutput is the program's output.
func (e *NotListeningError) LearnerOutput() string { return e.Output }

// joinAddrs joins addresses as "a", "a and b", "a, b and c".
func joinAddrs(addrs []string) string {
	switch len(addrs) {
	case 0:
		return ""
	case 1:
		return addrs[0]
	}
	s := addrs[0]
	for _, a := range addrs[1 : len(addrs)-1] {
		s += ", " + a
	}
	return s + " and " + addrs[len(addrs)-1]
}
