package postgres

import "strconv"

// bounded is the command that runs the server program bin with args, its
// private memory, and so every backend's, bounded to BackendMemory: a
// shell lowers its own RLIMIT_DATA and becomes the server. (prlimit on the
// started server would need CAP_SYS_RESOURCE once it runs as another
// user, which a root grader in a container may not have.)
func bounded(bin string, args []string) (string, []string) {
	script := "ulimit -d " + strconv.Itoa(BackendMemory>>10) + ` && exec "$0" "$@"`
	return "/bin/sh", append([]string{"-c", script, bin}, args...)
}
