package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/nplus1/nplus1/challenges"
	"github.com/spf13/cobra"
)

// InitOptions are the inputs of `nplus1 init`.
type InitOptions struct {
	IO        IOStreams
	Challenge string
	Dir       string
	Lang      string
}

// NewCmdInit builds `nplus1 init`.
func NewCmdInit(f *Factory) *cobra.Command {
	opts := &InitOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "init CHALLENGE [DIR]",
		Short: "Write a challenge's broken starter to fix",
		Long: `Write the challenge's broken starter program into DIR (default: ./CHALLENGE),
with an nplus1.yaml naming the challenge and a README with the brief. It never
overwrites a file: DIR must not already hold any of the files it writes.`,
		Example: `  nplus1 init orders-users ./solution --lang go
  nplus1 init orders-users ./solution-py --lang python
  nplus1 init orders-items ./solution-django --lang django
  cd solution && nplus1 grade .`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageError("init takes a challenge id and an optional directory (see nplus1 challenges list)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Challenge = args[0]
			opts.Dir = opts.Challenge
			if len(args) == 2 {
				opts.Dir = args[1]
			}
			return runInit(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Lang, "lang", "l", "go", "language or stack of the starter: go, python, sqlalchemy, django, gorm, node, rails, java or hibernate")
	return cmd
}

func runInit(opts *InitOptions) error {
	ch, err := challenges.Load(opts.Challenge)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	files, err := ch.ProgramFiles("starter", opts.Lang)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	files["README.md"] = []byte(learnerReadme(ch, opts.Lang, opts.Dir))
	if _, ok := files["nplus1.yaml"]; !ok {
		files["nplus1.yaml"] = []byte("challenge: " + ch.ID + "\n")
	}
	written, err := challenges.WriteFiles(opts.Dir, files)
	if errors.Is(err, challenges.ErrExists) {
		return &exitError{code: exitUsage, err: err}
	}
	if err != nil {
		return writeError(fmt.Errorf("write the starter: %w", err))
	}
	fmt.Fprintf(opts.IO.Out, "Wrote the %s starter of %s to %s:\n", opts.Lang, ch.ID, opts.Dir)
	for _, name := range written {
		fmt.Fprintf(opts.IO.Out, "  %s\n", filepath.Join(opts.Dir, name))
	}
	fmt.Fprintf(opts.IO.Out, "\nRead %s, fix the N+1, then grade it:\n  nplus1 grade %s\n", filepath.Join(opts.Dir, "README.md"), opts.Dir)
	return nil
}

// starterStacks says, per --lang, how a starter runs and what it needs.
var starterStacks = map[string]struct{ run, deps string }{
	"go":         {"go run .", "Go 1.26 or newer; `go mod download` fetches pgx."},
	"gorm":       {"go run .", "Go 1.26 or newer; `go mod download` fetches GORM and its postgres driver (pinned in go.mod)."},
	"python":     {"python3 main.py", "Python 3 with psycopg2 (`pip install psycopg2-binary`, or Debian's `python3-psycopg2`)."},
	"sqlalchemy": {"python3 main.py", "Python 3 with SQLAlchemy 1.4 or 2.x and psycopg2 (Debian's `python3-sqlalchemy python3-psycopg2`, or `pip install SQLAlchemy psycopg2-binary`)."},
	"django":     {"python3 main.py", "Python 3 with Django and psycopg2 (Debian's `python3-django python3-psycopg2`, or `pip install Django psycopg2-binary`); no project scaffolding: main.py configures Django itself."},
	"node":       {"node main.js", "Node.js with the pg package (Debian's `node-pg`, or `npm install pg` here)."},
	"rails":      {"ruby main.rb", "Ruby with ActiveRecord, pg and WEBrick (Debian's `ruby-activerecord ruby-pg ruby-webrick`, or `gem install activerecord pg webrick`); no Rails app: main.rb loads ActiveRecord alone."},
	"java":       {"java -cp /usr/share/java/postgresql.jar Main.java", "a JDK, Java 17 or newer, and PostgreSQL's JDBC driver (Debian's `default-jdk-headless libpostgresql-jdbc-java`; the driver's jar may also sit here, in `lib/`, which the grader puts on the classpath); no Maven or Gradle: plain JDBC and the JDK's own HTTP server."},
	// Hibernate looks its entities up by name, which the classes java runs
	// from a source file (java Main.java) do not have: javac first.
	"hibernate": {"javac -d classes -cp /usr/share/java/hibernate3.jar:/usr/share/java/hibernate-commons-annotations.jar:/usr/share/java/geronimo-jpa_2.0_spec.jar:/usr/share/java/geronimo-jta-1.2-spec.jar:/usr/share/java/dom4j.jar:/usr/share/java/antlr.jar:/usr/share/java/commons-collections3.jar:/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-nop.jar:/usr/share/java/javassist.jar:/usr/share/java/postgresql.jar Main.java && java -cp classes:/usr/share/java/hibernate3.jar:/usr/share/java/hibernate-commons-annotations.jar:/usr/share/java/geronimo-jpa_2.0_spec.jar:/usr/share/java/geronimo-jta-1.2-spec.jar:/usr/share/java/dom4j.jar:/usr/share/java/antlr.jar:/usr/share/java/commons-collections3.jar:/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-nop.jar:/usr/share/java/javassist.jar:/usr/share/java/postgresql.jar Main", "a JDK, Java 17 or newer, Hibernate 3.6 and PostgreSQL's JDBC driver (Debian's `default-jdk-headless libhibernate3-java libjavassist-java libpostgresql-jdbc-java`); no Maven or Gradle: Hibernate configured in code, and the JDK's own HTTP server."},
}

// learnerReadme is the README written next to a starter, in dir.
func learnerReadme(ch *challenges.Challenge, lang, dir string) string {
	st, ok := starterStacks[lang]
	if !ok {
		st = starterStacks["go"]
	}
	run, deps := st.run, st.deps
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n%s\n\n%s\n\n", ch.Title, ch.Summary, strings.TrimSpace(ch.Brief))
	fmt.Fprintf(&b, "## Run it\n\nNeeds %s The program serves `%s %s` on `127.0.0.1:$PORT` and reads `DATABASE_URL`. ", deps, ch.Endpoint.Method, ch.Endpoint.Path)
	fmt.Fprintf(&b, "To run it on the challenge's tables and data, with every SQL statement it sends listed and its N+1 named, send it requests while `nplus1 trace` runs it (it prints the port; Ctrl-C when done):\n\n")
	fmt.Fprintf(&b, "    nplus1 trace --challenge %s -- %s\n    curl http://127.0.0.1:PORT%s\n\n", ch.ID, run, ch.Endpoint.Path)
	fmt.Fprintf(&b, "Or on a database of your own that has the tables:\n\n    export PORT=8080 DATABASE_URL=postgres://user:password@localhost:5432/db\n    %s\n\n", run)
	fmt.Fprintf(&b, "## Grade it\n\n    nplus1 grade .\n\n")
	fmt.Fprintf(&b, "The grader starts a throwaway PostgreSQL, seeds it, runs this program behind a proxy that counts every SQL statement, and checks the response, at most %d data statements per request, that the count does not grow with the data, and a p95 latency under %s with a simulated %s network round trip. It writes its card to `nplus1-results/%s/%s/` (`result.md`, `badge.svg`; the latest on top, every earlier one in `history/`).\n",
		ch.Limits.Statements, ch.Limits.P95, ch.Limits.RTT, ch.ID, dirName(dir))
	switch lang {
	case "python", "sqlalchemy", "django":
		b.WriteString("\nIf `python3` on your PATH lacks the packages, name the one that has them: `nplus1 grade . --python /usr/bin/python3`.\n")
	}
	return b.String()
}

// dirName is the name of dir itself, as `nplus1 grade .` run in it names
// its card directory.
func dirName(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return filepath.Base(dir)
}
