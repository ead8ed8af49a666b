package grader

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// ormIdioms are the eager-loading and grouping calls of the ORMs learners
// use, as a method call in code: Django, SQLAlchemy, ActiveRecord, GORM,
// and Sequelize/TypeORM/Prisma for Node. The grouping calls count or sum
// the children of all the parents in one query (annotate(Count(...)),
// group(:post_id).count).
var ormIdioms = []struct {
	name string
	re   *regexp.Regexp
}{
	{"select_related", regexp.MustCompile(`\.select_related\s*\(`)},
	{"prefetch_related", regexp.MustCompile(`\.prefetch_related\s*\(`)},
	{"joinedload", regexp.MustCompile(`\bjoinedload\s*\(`)},
	{"selectinload", regexp.MustCompile(`\bselectinload\s*\(`)},
	{"subqueryload", regexp.MustCompile(`\bsubqueryload\s*\(`)},
	{"contains_eager", regexp.MustCompile(`\bcontains_eager\s*\(`)},
	{"includes", regexp.MustCompile(`\.includes\s*\(?\s*:`)},
	{"preload", regexp.MustCompile(`\.preload\s*\(?\s*:`)},
	{"eager_load", regexp.MustCompile(`\.eager_load\s*\(?\s*:`)},
	{"Preload", regexp.MustCompile(`\.Preload\s*\(`)},
	{"Joins", regexp.MustCompile(`\.Joins\s*\(`)},
	{"include", regexp.MustCompile(`\binclude\s*:\s*[\[{]`)},
	{"annotate", regexp.MustCompile(`\.annotate\s*\(`)},
	{"group_by", regexp.MustCompile(`\.group_by\s*\(`)},
	{"group.count", regexp.MustCompile(`\.group\s*\(\s*:\w+\s*\)\s*\.count\b`)},
	{"Group", regexp.MustCompile(`\.Group\s*\(`)},
}

// comments are the comments and string literals of the languages above,
// removed before looking for idioms: a starter's comment that names the
// fix is not the fix.
var comments = map[string]*regexp.Regexp{
	".py": regexp.MustCompile(`(?s)""".*?"""|'''.*?'''|#[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'`),
	".rb": regexp.MustCompile(`(?s)=begin.*?=end|#[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'`),
	".go": regexp.MustCompile("(?s)/\\*.*?\\*/|//[^\\n]*|\"(?:[^\"\\\\\\n]|\\\\.)*\"|`[^`]*`"),
	".js": regexp.MustCompile("(?s)/\\*.*?\\*/|//[^\\n]*|\"(?:[^\"\\\\\\n]|\\\\.)*\"|'(?:[^'\\\\\\n]|\\\\.)*'|`[^`]*`"),
}

// findIdioms lists the ORM eager-loading and grouping calls in the
// solution's code, in ormIdioms' order. It reads at most 2 MiB of source.
func findIdioms(dir string) []string {
	var code strings.Builder
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if path != dir && (skipDirs[d.Name()] || strings.HasPrefix(d.Name(), ".")) {
				return fs.SkipDir
			}
			return nil
		}
		ext := filepath.Ext(path)
		switch ext {
		case ".mjs", ".cjs", ".ts":
			ext = ".js"
		}
		strip, ok := comments[ext]
		if !ok || code.Len() > 2<<20 || !d.Type().IsRegular() {
			return nil
		}
		b, err := readAtMost(path, 2<<20) // a sparse file may say a terabyte
		if err == nil {
			code.WriteString(strip.ReplaceAllString(string(b), " "))
			code.WriteByte('\n')
		}
		return nil
	})
	var found []string
	for _, idiom := range ormIdioms {
		if idiom.re.MatchString(code.String()) {
			found = append(found, idiom.name)
		}
	}
	return found
}

// sentFrom finds where the solution's code writes a statement: the file
// (relative to dir) and line of the first line of source holding the
// statement's text up to its first parameter or literal, case and spacing
// aside, as sent (example) or as normalized. It is "" when no line does,
// as when an ORM writes the statement. It reads at most 2 MiB of source.
func sentFrom(dir, example, normalized string) string {
	var prefixes []string
	for _, sql := range []string{example, normalized} {
		if at := firstValue.FindStringIndex(sql); at != nil {
			sql = sql[:at[0]]
		}
		if p := strings.ToLower(strings.Join(strings.Fields(sql), " ")); len(p) >= 20 {
			prefixes = append(prefixes, p)
		}
	}
	if len(prefixes) == 0 {
		return ""
	}
	found, read := "", 0
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if path != dir && (skipDirs[d.Name()] || strings.HasPrefix(d.Name(), ".")) {
				return fs.SkipDir
			}
			return nil
		}
		if _, ok := comments[filepath.Ext(path)]; !ok || read > 2<<20 || !d.Type().IsRegular() {
			return nil
		}
		b, err := readAtMost(path, 2<<20)
		if err != nil {
			return nil
		}
		read += len(b)
		lines := strings.Split(strings.ToLower(string(b)), "\n")
		// The statement may span lines: it starts on the last line of
		// those whose next few lines hold it.
		holds := func(i int) bool {
			text := strings.Join(strings.Fields(strings.Join(lines[i:min(i+8, len(lines))], " ")), " ")
			return slices.ContainsFunc(prefixes, func(p string) bool { return strings.Contains(text, p) })
		}
		for i := range lines {
			if holds(i) {
				for i+1 < len(lines) && holds(i+1) {
					i++
				}
				rel, _ := filepath.Rel(dir, path)
				found = fmt.Sprintf("%s:%d", filepath.ToSlash(rel), i+1)
				return filepath.SkipAll
			}
		}
		return nil
	})
	return found
}

// firstValue is where a statement's first parameter or literal begins: a
// placeholder ($1, ?, %s, :name), a string, or a number after an operator.
var firstValue = regexp.MustCompile(`[$?%']|:[a-z_]|[=(,<> ]\s*-?\d`)

// readAtMost reads the first n bytes of the file at path, or all of it if
// it is shorter.
func readAtMost(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}
