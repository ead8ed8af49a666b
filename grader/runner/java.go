package runner

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// jvmFlags are the flags every JVM the grader starts runs with (javac takes
// them with -J):
//   - no hsperfdata file in /tmp (-XX:-UsePerfData): a JVM killed
//     mid-grade would leave /tmp/hsperfdata_<user>/<pid> behind;
//   - a heap of at most 256 MiB: a JVM's default is a quarter of the
//     machine's memory, and the grader's memory limit (1 GiB unless told)
//     counts what is resident; the JVM reserves much address space, which
//     does not count, but a heap let grow to a quarter of a big machine
//     would;
//   - the serial collector and the quick compiler only (C1,
//     TieredStopAtLevel=1): no collector threads, and no optimizing
//     compiler working through the timed requests on another core, so a
//     busy machine measures the program, not the JVM warming up (on 2
//     cores its p95 fell from about 30 to 20 ms for a fix of orders-users).
var jvmFlags = []string{"-XX:-UsePerfData", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"}

// hibernateJars are the classes of Hibernate 3.6 and of what it loads
// (Debian's libhibernate3-java and its dependencies; javassist, which it
// makes its lazy proxies with, is only recommended), each with the jar of
// Debian's that holds it. slf4j-nop keeps slf4j from warning at start that
// it has no logger.
var hibernateJars = [][2]string{
	{"org.hibernate.Session", "/usr/share/java/hibernate3.jar"},
	{"org.hibernate.annotations.common.Version", "/usr/share/java/hibernate-commons-annotations.jar"},
	{"javax.persistence.Entity", "/usr/share/java/geronimo-jpa_2.0_spec.jar"},
	{"javax.transaction.Transaction", "/usr/share/java/geronimo-jta-1.2-spec.jar"},
	{"org.dom4j.Document", "/usr/share/java/dom4j.jar"},
	{"antlr.Parser", "/usr/share/java/antlr.jar"},
	{"org.apache.commons.collections.map.LRUMap", "/usr/share/java/commons-collections3.jar"},
	{"org.slf4j.Logger", "/usr/share/java/slf4j-api.jar"},
	{"org.slf4j.impl.StaticLoggerBinder", "/usr/share/java/slf4j-nop.jar"},
	{"javassist.util.proxy.ProxyFactory", "/usr/share/java/javassist.jar"},
}

// pgjdbc is PostgreSQL's JDBC driver, which every Java stack needs.
var pgjdbc = package_{"org.postgresql.Driver", "apt-get install libpostgresql-jdbc-java, or put PostgreSQL's JDBC driver jar in the solution directory"}

// systemJars are where Debian's packages put the classes Java stacks
// need (stacks' needs), by class.
var systemJars = func() map[string]string {
	jars := map[string]string{pgjdbc.name: "/usr/share/java/postgresql.jar"}
	for _, cj := range hibernateJars {
		jars[cj[0]] = cj[1]
	}
	return jars
}()

// hibernateNeeds are the classes the hibernate stack needs: Hibernate's
// and the driver.
var hibernateNeeds = func() []package_ {
	const install = "apt-get install libhibernate3-java libjavassist-java"
	var needs []package_
	for _, cj := range hibernateJars {
		needs = append(needs, package_{cj[0], install})
	}
	return append(needs, pgjdbc)
}()

// javaMain is the class a Java program starts with, from Main.java.
const javaMain = "Main"

// buildJava compiles the Java program's sources with javac into the build
// directory (in the sandbox when there is one), the stack's jars on the
// classpath, and makes java run its Main class.
func (b *Built) buildJava(ctx context.Context, lang string, opts BuildOptions, asOthers bool) error {
	javac, err := interpreter(Java, "javac", asOthers)
	if err != nil {
		return err
	}
	java, err := interpreter(Java, "java", asOthers)
	if err != nil {
		return err
	}
	jars, err := b.javaClasspath(lang)
	if err != nil {
		return err
	}
	sources, err := javaSources(b.dir)
	if len(sources) == 0 && err == nil {
		// Main.java was found, but as a link (detection follows links;
		// the sources are regular files only): the learner's to fix.
		why := "no .java file in the solution directory: javac compiles its regular .java files, not links to files"
		return &BuildError{Command: "javac -d classes *.java", Output: why, Err: errors.New(why)}
	}
	if err != nil {
		return fmt.Errorf("java solution: list its sources: %w", err)
	}
	classes := filepath.Join(b.tmp, "classes") // javac makes it, as the user it runs as
	argv := []string{javac}
	for _, f := range jvmFlags {
		argv = append(argv, "-J"+f)
	}
	argv = append(argv, "-encoding", "UTF-8", "-d", classes, "-cp", strings.Join(jars, ":"))
	argv = append(argv, sources...)
	const display = "javac -d classes *.java"
	if opts.Isolation != nil {
		err = b.runSandboxed(ctx, argv, display, nil, opts)
	} else {
		err = runBuild(ctx, b.dir, b.tmp, argv, display, opts)
	}
	if err != nil {
		return err
	}
	cp := strings.Join(append([]string{classes}, jars...), ":")
	b.argv = append(append([]string{java}, jvmFlags...), "-cp", cp, javaMain)
	b.display = "java -cp classes:" + strings.Join(jars, ":") + " " + javaMain
	return nil
}

// javaClasspath is the jars a Java program of stack lang compiles and runs
// with: those the solution ships (*.jar and lib/*.jar, relative to its
// directory), then, for each package of the stack that none of them holds,
// the machine's jar that does. A package in no jar is the machine's
// problem: the error names it and how to install it.
func (b *Built) javaClasspath(lang string) ([]string, error) {
	var own []string
	for _, pattern := range []string{"*.jar", "lib/*.jar"} {
		m, _ := filepath.Glob(filepath.Join(b.dir, pattern))
		for _, p := range m {
			rel, _ := filepath.Rel(b.dir, p)
			own = append(own, rel)
		}
	}
	jars := slices.Clone(own)
	var missing []string
	for _, p := range stacks[lang].needs {
		if slices.ContainsFunc(own, func(j string) bool { return ownJarHolds(b.dir, j, p.name) }) {
			continue
		}
		jar := systemJars[p.name]
		if jarHolds(jar, p.name) {
			if !slices.Contains(jars, jar) {
				jars = append(jars, jar)
			}
			continue
		}
		missing = append(missing, fmt.Sprintf("%s is not installed (%s does not hold it): %s", p.name, jar, p.install))
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s solution: %s", lang, strings.Join(missing, "; "))
	}
	return jars, nil
}

// maxJarLooked is the largest jar the grader looks into: it reads a jar's
// whole central directory into memory, tens of bytes of the file making
// hundreds of the grader's, so a jar of a gigabyte of empty entries would
// take many gigabytes of it. A driver's jar is a few megabytes; a bigger
// one is not looked into (the machine's jar is added after it).
const maxJarLooked = 64 << 20

// ownJarHolds reports whether the solution's jar rel (of its directory
// dir) holds the class named class: openInside opens it, so a link out of
// the directory, a FIFO (whose open waited forever for a writer) or a
// device holds nothing.
func ownJarHolds(dir, rel, class string) bool {
	f, err := openInside(dir, rel)
	if err != nil {
		return false
	}
	defer f.Close()
	return zipHolds(f, class)
}

// jarHolds reports whether the machine's jar at path holds the class
// named class (org.postgresql.Driver).
func jarHolds(path, class string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return zipHolds(f, class)
}

// zipHolds reports whether the jar f, of at most maxJarLooked bytes,
// holds the class named class.
func zipHolds(f *os.File, class string) bool {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxJarLooked {
		return false
	}
	z, err := zip.NewReader(f, fi.Size())
	if err != nil {
		return false
	}
	want := strings.ReplaceAll(class, ".", "/") + ".class"
	return slices.ContainsFunc(z.File, func(f *zip.File) bool { return f.Name == want })
}

// javaSources lists the .java files under dir, relative to it, sorted
// (javac compiles them together), but those of notCopied directories:
// none when there is none (a link is no .java file).
func javaSources(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != dir && notCopied[d.Name()] {
			return fs.SkipDir
		}
		if d.Type().IsRegular() && strings.HasSuffix(d.Name(), ".java") {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, rel)
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}
