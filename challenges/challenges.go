package challenges

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nplus1/nplus1/internal/yamlpos"
	"go.yaml.in/yaml/v3"
)

// The embedded catalog: one directive per challenge directory. "all:" keeps
// files whose names start with "." or "_" (e.g. __init__.py in a starter).
//
//go:embed all:orders-items all:orders-items-products all:orders-users all:posts-comment-counts all:posts-latest-comments
var catalog embed.FS

// Challenge is one challenge of the catalog, loaded and validated.
type Challenge struct {
	ID      string // the directory name, e.g. "orders-users"
	Title   string
	Level   string // "beginner", "intermediate" or "advanced"
	Summary string // one line
	Brief   string // Markdown: the scenario for the learner

	Endpoint Endpoint // the request the grader sends
	Size     int      // data size: the number of parent rows (e.g. orders)
	// Scaling holds the other sizes the statement count is measured at; it
	// must not grow with the data. Default: size/10 and size*10.
	Scaling []int
	Limits  Limits
	Latency Latency

	SchemaSQL   string // schema.sql: creates the tables
	SeedSQL     string // seed.sql: fills them (see the package doc for the contract)
	ExpectedSQL string // expected.sql: one row, one json column: the expected response

	// FS is the challenge directory: challenge.yaml, the SQL files,
	// starter/<lang>/ and reference/<lang>/. For the embedded catalog it is
	// valid for the life of the program; for LoadDir it reads the disk.
	FS fs.FS

	// Source says where the challenge was loaded from, for messages:
	// "challenges/orders-users" for the catalog, the directory given to
	// LoadDir otherwise.
	Source string
}

// Endpoint is the HTTP request a solution must serve.
type Endpoint struct {
	Method string // GET unless challenge.yaml says otherwise
	Path   string // e.g. "/api/orders"
}

// Limits are what a passing solution must stay within.
type Limits struct {
	Statements int           // data statements per request, at most
	P95        time.Duration // 95th percentile response time, at most
	RTT        time.Duration // simulated database round-trip time during the latency check
}

// Latency says how many requests the latency check sends.
type Latency struct {
	Warmup   int // untimed requests first
	Requests int // timed requests
}

// Defaults for the optional fields of challenge.yaml.
const (
	defaultMethod   = "GET"
	defaultSize     = 100
	defaultWarmup   = 2
	defaultRequests = 20
)

// Levels are the allowed values of the level field, easiest first.
var levels = []string{"beginner", "intermediate", "advanced"}

// methods are the allowed values of endpoint.method.
var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// sqlFiles are required in every challenge directory.
var sqlFiles = []string{"schema.sql", "seed.sql", "expected.sql"}

// catalogCode are the code directories every challenge of the embedded
// catalog must have.
var catalogCode = []string{"starter/go", "starter/python", "reference/go", "reference/python"}

// idPattern is what a challenge id looks like: lower-case words joined by "-".
var idPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Load returns the challenge id of the embedded catalog.
func Load(id string) (*Challenge, error) {
	ids, err := catalogIDs()
	if err != nil {
		return nil, err
	}
	if !slices.Contains(ids, id) {
		hint := ""
		if near := nearest(id, ids); near != "" {
			hint = fmt.Sprintf("; did you mean %s?", near)
		}
		return nil, fmt.Errorf("%w %q%s (known: %s)", ErrUnknown, id, hint, strings.Join(ids, ", "))
	}
	return loadEmbedded(id)
}

// ErrUnknown is returned, wrapped, by Load for an id not in the catalog.
var ErrUnknown = errors.New("unknown challenge")

// nearest returns the id of ids closest to id when it is a likely typo of
// it (at most 2 edits, or 3 for a long id), else "".
func nearest(id string, ids []string) string {
	best, bestDist := "", 3
	if len(id) >= 12 {
		bestDist = 4
	}
	for _, c := range ids {
		if d := editDistance(id, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// List returns every challenge of the embedded catalog, sorted by id.
func List() ([]*Challenge, error) {
	ids, err := catalogIDs()
	if err != nil {
		return nil, err
	}
	list := make([]*Challenge, 0, len(ids))
	for _, id := range ids {
		c, err := loadEmbedded(id)
		if err != nil {
			return nil, err
		}
		list = append(list, c)
	}
	return list, nil
}

// LoadDir loads the challenge in dir, a directory on disk, for challenge
// authors. The directory name must be the challenge's id. Unlike the
// catalog, it need not have starter or reference code.
func LoadDir(dir string) (*Challenge, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("load challenge %s: %w", dir, err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("load challenge: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("load challenge: %s is not a directory", dir)
	}
	l := loader{
		fsys:    os.DirFS(abs),
		source:  filepath.Clean(dir),
		dirName: filepath.Base(abs),
		join:    filepath.Join,
	}
	return l.load()
}

// Languages returns the languages, sorted, for which the challenge has code
// of the given kind, "starter" or "reference": the names of the
// subdirectories of kind/. It returns nil for any other kind.
func (c *Challenge) Languages(kind string) []string {
	if kind != "starter" && kind != "reference" {
		return nil
	}
	entries, err := fs.ReadDir(c.FS, kind)
	if err != nil {
		return nil
	}
	var langs []string
	for _, e := range entries {
		if e.IsDir() {
			langs = append(langs, e.Name())
		}
	}
	return langs
}

// StackFix returns the fix the brief names for a stack, from the row of
// its table whose first cell names the stack as `lang` ("Django
// (`django`)"): the stack's name ("Django") and the last cell. Both are ""
// when the brief has no such row (the plain go and python stacks).
func (c *Challenge) StackFix(lang string) (name, fix string) {
	tag := " (`" + lang + "`)"
	for _, line := range strings.Split(c.Brief, "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) < 2 || !strings.HasSuffix(strings.TrimSpace(cells[0]), tag) {
			continue
		}
		return strings.TrimSuffix(strings.TrimSpace(cells[0]), tag), strings.TrimSpace(cells[len(cells)-1])
	}
	return "", ""
}

// catalogIDs returns the ids of the embedded challenges, sorted.
func catalogIDs() ([]string, error) {
	entries, err := fs.ReadDir(catalog, ".")
	if err != nil {
		return nil, fmt.Errorf("read challenge catalog: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}

func loadEmbedded(id string) (*Challenge, error) {
	sub, err := fs.Sub(catalog, id)
	if err != nil {
		return nil, fmt.Errorf("load challenge %s: %w", id, err)
	}
	l := loader{
		fsys:     sub,
		source:   path.Join("challenges", id),
		dirName:  id,
		join:     path.Join,
		required: catalogCode,
	}
	return l.load()
}

// loader loads one challenge directory and collects every problem found.
type loader struct {
	fsys     fs.FS
	source   string                 // the directory, for messages
	dirName  string                 // the directory's base name: the id it must hold
	join     func(...string) string // joins source and a file name
	required []string               // directories that must exist besides the SQL files
	problems []error
}

// problem records one problem in file (relative to the challenge
// directory), at line when line > 0.
func (l *loader) problem(file string, line int, format string, args ...any) {
	where := l.join(l.source, file)
	if line > 0 {
		where += ":" + strconv.Itoa(line)
	}
	l.problems = append(l.problems, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
}

// load reads and validates the directory. Its error lists every problem,
// one a line, each as "file:line: message".
func (l *loader) load() (*Challenge, error) {
	c := &Challenge{FS: l.fsys, Source: l.source}
	l.readYAML(c)
	c.SchemaSQL = l.readSQL("schema.sql")
	c.SeedSQL = l.readSQL("seed.sql")
	c.ExpectedSQL = l.readSQL("expected.sql")
	for _, dir := range l.required {
		info, err := fs.Stat(l.fsys, dir)
		if err != nil || !info.IsDir() {
			l.problem(dir, 0, "missing: every challenge of the catalog needs %s", strings.Join(l.required, ", "))
		}
	}
	if len(l.problems) > 0 {
		return nil, errors.Join(l.problems...)
	}
	return c, nil
}

func (l *loader) readSQL(name string) string {
	data, err := fs.ReadFile(l.fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		l.problem(name, 0, "missing: every challenge needs %s", strings.Join(sqlFiles, ", "))
		return ""
	}
	if err != nil {
		l.problem(name, 0, "%v", err)
		return ""
	}
	if len(bytes.TrimSpace(data)) == 0 {
		l.problem(name, 0, "empty")
	}
	return string(data)
}

// readYAML parses challenge.yaml into c.
func (l *loader) readYAML(c *Challenge) {
	const file = "challenge.yaml"
	data, err := fs.ReadFile(l.fsys, file)
	if errors.Is(err, fs.ErrNotExist) {
		l.problem(file, 0, "missing")
		return
	}
	if err != nil {
		l.problem(file, 0, "%v", err)
		return
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.problem(file, 0, "empty")
			return
		}
		line, msg := yamlpos.Split(err.Error())
		l.problem(file, line, "%s", msg)
		return
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := 0
		if err == nil {
			line = extra.Line
		}
		l.problem(file, line, "more than one YAML document")
		return
	}
	if len(doc.Content) == 0 {
		l.problem(file, 0, "empty")
		return
	}
	f := fields{l: l, file: file}
	f.challenge(c, doc.Content[0])
}

// fields decodes the nodes of challenge.yaml, reporting problems through l.
type fields struct {
	l    *loader
	file string
}

func (f fields) problem(n *yaml.Node, format string, args ...any) {
	f.l.problem(f.file, n.Line, format, args...)
}

func (f fields) challenge(c *Challenge, root *yaml.Node) {
	m := f.mapping(root, "", resolve(root).Line, "id", "title", "level", "summary", "brief", "endpoint", "data", "limits", "latency")
	if m == nil {
		return
	}

	if n := m.required("id"); n != nil {
		c.ID = f.text(n, "id")
		switch {
		case c.ID == "":
		case !idPattern.MatchString(c.ID):
			f.problem(n, "id %q: want lower-case letters and digits joined by -, like orders-users", c.ID)
		case c.ID != f.l.dirName:
			f.problem(n, "id %q does not match the directory name %q", c.ID, f.l.dirName)
		}
	}
	if n := m.required("title"); n != nil {
		c.Title = f.text(n, "title")
	}
	if n := m.required("level"); n != nil {
		c.Level = f.text(n, "level")
		if c.Level != "" && !slices.Contains(levels, c.Level) {
			f.problem(n, "level: want one of %s, got %q", strings.Join(levels, ", "), c.Level)
		}
	}
	if n := m.required("summary"); n != nil {
		c.Summary = f.text(n, "summary")
	}
	if n := m.required("brief"); n != nil {
		c.Brief = f.text(n, "brief")
	}

	c.Endpoint.Method = defaultMethod
	if e := m.child("endpoint", true, "method", "path"); e != nil {
		if n := e.optional("method"); n != nil {
			c.Endpoint.Method = f.text(n, "endpoint.method")
			if c.Endpoint.Method != "" && !slices.Contains(methods, c.Endpoint.Method) {
				f.problem(n, "endpoint.method: want one of %s, got %q", strings.Join(methods, ", "), c.Endpoint.Method)
			}
		}
		if n := e.required("path"); n != nil {
			c.Endpoint.Path = f.text(n, "endpoint.path")
			if c.Endpoint.Path != "" && !strings.HasPrefix(c.Endpoint.Path, "/") {
				f.problem(n, "endpoint.path: want a path starting with /, got %q", c.Endpoint.Path)
			}
		}
	}

	c.Size = defaultSize
	d := m.child("data", false, "size", "scaling")
	if d != nil {
		if n := d.optional("size"); n != nil {
			c.Size = f.integer(n, "data.size", 1)
		}
	}
	c.Scaling = []int{max(1, c.Size/10), c.Size * 10}
	if d != nil {
		if n := d.optional("scaling"); n != nil {
			c.Scaling = nil
			if r := resolve(n); r.Kind != yaml.SequenceNode || len(r.Content) == 0 {
				f.problem(n, "data.scaling: want a list of sizes, like [10, 1000], got %s", describe(n))
			} else {
				for _, e := range r.Content {
					c.Scaling = append(c.Scaling, f.integer(e, "data.scaling", 1))
				}
			}
		}
	}

	if lim := m.child("limits", true, "statements", "p95", "rtt"); lim != nil {
		if n := lim.required("statements"); n != nil {
			c.Limits.Statements = f.integer(n, "limits.statements", 1)
		}
		if n := lim.required("p95"); n != nil {
			c.Limits.P95 = f.duration(n, "limits.p95", false)
		}
		if n := lim.optional("rtt"); n != nil {
			c.Limits.RTT = f.duration(n, "limits.rtt", true)
		}
	}

	c.Latency = Latency{Warmup: defaultWarmup, Requests: defaultRequests}
	if lat := m.child("latency", false, "warmup", "requests"); lat != nil {
		if n := lat.optional("warmup"); n != nil {
			c.Latency.Warmup = f.integer(n, "latency.warmup", 0)
		}
		if n := lat.optional("requests"); n != nil {
			c.Latency.Requests = f.integer(n, "latency.requests", 1)
		}
	}
}

// mapping is a YAML mapping whose keys have been checked.
type mapping struct {
	f      fields
	name   string // the dotted path of the mapping, "" at the top
	line   int    // where a missing field is reported: the mapping's key, or its start at the top
	keys   map[string]*yaml.Node
	values map[string]*yaml.Node
}

// mapping checks that n is a mapping whose keys are all known, reports
// every unknown or repeated key, and returns nil if n is not a mapping.
// Missing fields will be reported at line.
func (f fields) mapping(n *yaml.Node, name string, line int, known ...string) *mapping {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		if name == "" {
			f.problem(n, "want a mapping of fields, got %s", describe(n))
		} else {
			f.problem(n, "%s: want a mapping, got %s", name, describe(n))
		}
		return nil
	}
	m := &mapping{f: f, name: name, line: line, keys: map[string]*yaml.Node{}, values: map[string]*yaml.Node{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := resolve(n.Content[i]), n.Content[i+1]
		switch {
		case key.Kind != yaml.ScalarNode:
			f.problem(key, "want a field name, got %s", describe(key))
		case !slices.Contains(known, key.Value):
			f.problem(key, "unknown field %q (known: %s)", m.qualify(key.Value), strings.Join(known, ", "))
		case m.values[key.Value] != nil:
			f.problem(key, "field %s given twice (first at line %d)", m.qualify(key.Value), m.keys[key.Value].Line)
		default:
			m.keys[key.Value] = key
			m.values[key.Value] = value
		}
	}
	return m
}

// qualify returns the dotted path of the field key.
func (m *mapping) qualify(key string) string {
	if m.name == "" {
		return key
	}
	return m.name + "." + key
}

// required returns the value of key, or reports it missing at the line of
// the mapping and returns nil.
func (m *mapping) required(key string) *yaml.Node {
	n := m.values[key]
	if n == nil {
		m.f.l.problem(m.f.file, m.line, "missing required field %s", m.qualify(key))
		return nil
	}
	return resolve(n)
}

// optional returns the value of key, or nil if it is absent.
func (m *mapping) optional(key string) *yaml.Node {
	n := m.values[key]
	if n == nil {
		return nil
	}
	return resolve(n)
}

// child returns the mapping under key, checked against known. It returns
// nil if key is absent (a problem when required) or not a mapping.
func (m *mapping) child(key string, required bool, known ...string) *mapping {
	var n *yaml.Node
	if required {
		n = m.required(key)
	} else {
		n = m.optional(key)
	}
	if n == nil {
		return nil
	}
	return m.f.mapping(n, m.qualify(key), m.keys[key].Line, known...)
}

// text returns the non-empty string in n, or reports a problem and returns "".
func (f fields) text(n *yaml.Node, name string) string {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		f.problem(n, "%s: want a string, got %s", name, describe(n))
		return ""
	}
	if strings.TrimSpace(n.Value) == "" {
		f.problem(n, "%s: must not be empty", name)
		return ""
	}
	return n.Value
}

// integer returns the integer in n, at least min, or reports a problem and
// returns 0.
func (f fields) integer(n *yaml.Node, name string, min int) int {
	var v int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		f.problem(n, "%s: want an integer, got %s", name, describe(n))
		return 0
	}
	if v < min {
		f.problem(n, "%s: want at least %d, got %d", name, min, v)
		return 0
	}
	return v
}

// duration returns the duration in n, such as "100ms", or reports a
// problem and returns 0. It must be positive, or non-negative when zero is
// allowed.
func (f fields) duration(n *yaml.Node, name string, zeroOK bool) time.Duration {
	var d time.Duration
	var err error
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		d, err = time.ParseDuration(n.Value)
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" || err != nil {
		f.problem(n, "%s: want a duration with a unit, like 100ms, got %s", name, describe(n))
		return 0
	}
	switch {
	case d < 0:
		f.problem(n, "%s: must not be negative, got %s", name, n.Value)
		return 0
	case d == 0 && !zeroOK:
		f.problem(n, "%s: must be more than 0", name)
		return 0
	}
	return d
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// describe names the value in n for a message.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "nothing"
		}
		if n.ShortTag() == "!!str" {
			return strconv.Quote(n.Value)
		}
		return n.Value
	}
	return "an unexpected YAML node"
}
