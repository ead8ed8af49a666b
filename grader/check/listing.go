package check

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/grader/sqlshape"
)

// Bursts cuts a trace into bursts of activity, for when requests cannot be
// seen: statements in the order they started, a new burst beginning when
// one starts more than gap after everything before it had ended. With gap
// 0 or less the whole trace is one burst.
func Bursts(stmts []proxy.Statement, gap time.Duration) [][]proxy.Statement {
	sorted := slices.Clone(stmts)
	slices.SortStableFunc(sorted, func(a, b proxy.Statement) int { return a.Start.Compare(b.Start) })
	var out [][]proxy.Statement
	var end time.Time
	for i, s := range sorted {
		if i == 0 || (gap > 0 && s.Start.Sub(end) > gap) {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], s)
		if e := s.Start.Add(s.Duration); e.After(end) {
			end = e
		}
	}
	return out
}

// Listing writes a request's data statements numbered in the order they
// ran, the way Django's assertNumQueries does on failure, with repeats
// collapsed: a run of one shape, or of a few shapes in turn (A B A B),
// becomes one entry "×100". Statements that ran once show their SQL as
// sent; collapsed ones their shape. Control statements are counted apart,
// by shape, as the card's table of shapes names them ("and 1 control
// statement, counted apart: begin"); the statements that read only the
// system catalogs (a driver's or an ORM's overhead, not counted) are listed
// after the data statements, by shape.
func Listing(stmts []proxy.Statement) string {
	var data, catalog []proxy.Statement
	for _, s := range stmts {
		switch {
		case s.Data:
			data = append(data, s)
		case s.Catalog:
			catalog = append(catalog, s)
		}
	}
	fps := fingerprints(data)
	nplus1 := map[string]bool{}
	for _, sh := range Shapes(data) {
		nplus1[sh.Fingerprint] = sh.NPlusOne
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d data %s", len(data), plural(len(data), "statement", "statements"))
	if control := len(stmts) - len(data) - len(catalog); control > 0 {
		var ctl []proxy.Statement
		for _, s := range stmts {
			if !s.Data && !s.Catalog {
				ctl = append(ctl, s)
			}
		}
		var shapes []string
		for _, sh := range Shapes(ctl) {
			name := short(sh.Normalized)
			if sh.Count > 1 {
				name += fmt.Sprintf(" ×%d", sh.Count)
			}
			shapes = append(shapes, name)
		}
		fmt.Fprintf(&b, " (and %d control %s, counted apart: %s)", control, plural(control, "statement", "statements"), strings.Join(shapes, ", "))
	}
	b.WriteString(":\n")
	for i := 0; i < len(data); {
		period, reps := repeat(fps, i)
		if reps == 1 {
			fmt.Fprintf(&b, "%7s  %s%s\n", fmt.Sprintf("%d.", i+1), short(oneLine(data[i].SQL)), rowNote(data[i:i+1]))
			i++
			continue
		}
		lead := fmt.Sprintf("%7s  ×%d  ", fmt.Sprintf("%d-%d.", i+1, i+period*reps), reps)
		for j := 0; j < period; j++ {
			var runs []proxy.Statement
			for r := 0; r < reps; r++ {
				runs = append(runs, data[i+r*period+j])
			}
			flag := ""
			if nplus1[fps[i+j]] {
				flag = "  [N+1]"
			}
			fmt.Fprintf(&b, "%s%s%s%s\n", lead, short(sqlshape.Normalize(data[i+j].SQL)), rowNote(runs), flag)
			lead = strings.Repeat(" ", utf8.RuneCountInString(lead))
		}
		i += period * reps
	}
	if len(catalog) > 0 {
		fmt.Fprintf(&b, "and %d driver overhead %s, reading only the system catalogs, not counted:\n", len(catalog), plural(len(catalog), "statement", "statements"))
		for _, sh := range Shapes(catalog) {
			count := ""
			if sh.Count > 1 {
				count = fmt.Sprintf("×%d  ", sh.Count)
			}
			fmt.Fprintf(&b, "         %s%s\n", count, short(oneLine(sh.Example)))
		}
	}
	return b.String()
}

// repeat finds, at i, the run of repeats covering the most statements: a
// period of 1 to 4 shapes repeated reps times (reps 1: no repeat).
func repeat(fps []string, i int) (period, reps int) {
	period, reps = 1, 1
	for p := 1; p <= 4 && i+2*p <= len(fps); p++ {
		r := 1
		for i+(r+1)*p <= len(fps) && slices.Equal(fps[i:i+p], fps[i+r*p:i+(r+1)*p]) {
			r++
		}
		if r > 1 && p*r > period*reps && (p == 1 || distinct(fps[i:i+p])) {
			period, reps = p, r
		}
	}
	return period, reps
}

func distinct(s []string) bool {
	return len(slices.Compact(slices.Sorted(slices.Values(s)))) == len(s)
}

// rowNote says how many rows statements returned: " -- 100 rows", or for
// several " -- 1 row each", " -- 130 rows in all".
func rowNote(runs []proxy.Statement) string {
	var total int64
	same := true
	for _, s := range runs {
		total += s.Rows
		same = same && s.Rows == runs[0].Rows
	}
	plural := func(n int64) string {
		if n == 1 {
			return "1 row"
		}
		return fmt.Sprintf("%d rows", n)
	}
	switch {
	case len(runs) == 1:
		return "  -- " + plural(total)
	case same:
		return "  -- " + plural(runs[0].Rows) + " each"
	}
	return "  -- " + plural(total) + " in all"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
