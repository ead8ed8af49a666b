// Package runner builds, starts and stops a learner's solution program.
//
// Detect reads a solution directory: its optional nplus1.yaml (see Manifest)
// and the files that name a language (go.mod or main.go for Go, main.py for
// Python). Solution.Build builds it once into a private temp dir and returns
// a Built, which must be Closed. Built.Start runs the program in the
// solution directory, in its own process group (or a sandbox: Place), with
// the part of the grader's environment its toolchain needs (the shell's,
// the locale's, Go's, Python's, Node's, Ruby's, Java's; never PG*,
// DATABASE_URL, NPLUS1_* or anything else, such as a CI runner's tokens)
// plus PORT and the caller's variables, and waits until
// 127.0.0.1:PORT accepts a TCP connection. Process.Stop ends the program and
// every process it started.
//
// # Whose fault an error is
//
// Errors that are the learner's fault implement LearnerError:
//
//   - *BuildError: the build command failed (compiler errors);
//   - *ExitError: the program exited before it listened;
//   - *NotListeningError: it never listened on 127.0.0.1:PORT in time;
//   - *ManifestError: nplus1.yaml is malformed, or the directory holds
//     nothing runnable.
//
// A grader turns them into a failed grade and shows LearnerOutput. Every
// other error is the machine's (no go toolchain or interpreter on PATH, fork
// fails, the port is taken, the context is cancelled): the grade could not
// be made. IsLearnerFault tells the two apart. Detect's error for a missing
// directory, or a path that is not one, is neither: it is a usage error and
// wraps fs.ErrNotExist when the path does not exist.
//
// The package needs a Unix system for process groups; reporting what a
// program listens on instead of PORT works on Linux only.
package runner
