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

// sourceFile is a file of the solution's code: its path relative to the
// solution directory, its language (an extension of comments) and text.
type sourceFile struct{ rel, ext, text string }

// maxSource is how much of a solution's code the grader reads, in all.
const maxSource = 2 << 20

// readSources reads the solution's code in dir, once, for findIdioms and
// sentFrom: its regular files in the languages of comments, but those of
// skipDirs and hidden directories, at most maxSource bytes in all (a
// sparse file may say a terabyte).
func readSources(dir string) []sourceFile {
	var files []sourceFile
	read := 0
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
		if _, ok := comments[ext]; !ok || read > maxSource || !d.Type().IsRegular() {
			return nil
		}
		b, err := readAtMost(path, maxSource)
		if err != nil {
			return nil
		}
		read += len(b)
		rel, _ := filepath.Rel(dir, path)
		files = append(files, sourceFile{rel: filepath.ToSlash(rel), ext: ext, text: string(b)})
		return nil
	})
	return files
}

// findIdioms lists the ORM eager-loading and grouping calls in the
// solution's code, in ormIdioms' order.
func findIdioms(files []sourceFile) []string {
	var code strings.Builder
	for _, f := range files {
		code.WriteString(comments[f.ext].ReplaceAllString(f.text, " "))
		code.WriteByte('\n')
	}
	var found []string
	for _, idiom := range ormIdioms {
		if idiom.re.MatchString(code.String()) {
			found = append(found, idiom.name)
		}
	}
	return found
}

// sentFrom finds where the solution's code writes a statement: the file
// (relative to the solution directory) and line of the first line of
// source holding the statement's text up to its first parameter or
// literal, case and spacing aside, as sent (example) or as normalized. It
// is "" when no line does, as when an ORM writes the statement.
func sentFrom(files []sourceFile, example, normalized string) string {
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
	for _, f := range files {
		lines := strings.Split(strings.ToLower(f.text), "\n")
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
				return fmt.Sprintf("%s:%d", f.rel, i+1)
			}
		}
	}
	return ""
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
