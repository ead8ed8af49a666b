package check

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The correctness diff. An answer is compared with the expected JSON the
// way a learner reads a result set: arrays of objects that all have an
// "id" are compared by id, so a missing row is named as missing, an extra
// one as extra and rows in another order as out of order; only then the
// fields of the rows found in both, in the expected answer's field order
// (that of its json_build_object, which is the schema's). Each kind of
// difference is one line naming its first few instances and how many there
// are, with a hint when what the diff shows is the mark of a classic
// mistake: an inner JOIN (rows with an empty child list missing), a LEFT
// JOIN's row of NULLs, a condition in WHERE instead of ON, count(*) over a
// LEFT JOIN, a missing ORDER BY or tie-breaker.

// nouns name the rows of an array: one row by its id ("comment 7"),
// several ("comments 7 and 9"), all of them ("latest comments").
type nouns struct{ one, ids, many string }

// nounsOf names the rows of an array from its name (a key, or the last
// segment of the endpoint's path): "latest_comments" gives "comment",
// "comments", "latest comments".
func nounsOf(name string) nouns {
	name = strings.TrimRight(name, "/")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	words := strings.Fields(strings.NewReplacer("_", " ", "-", " ").Replace(name))
	if len(words) == 0 {
		return nouns{"row", "rows", "rows"}
	}
	last := words[len(words)-1]
	return nouns{singular(last), last, strings.Join(words, " ")}
}

func singular(s string) string {
	switch {
	case strings.HasSuffix(s, "ies"):
		return strings.TrimSuffix(s, "ies") + "y"
	case strings.HasSuffix(s, "sses"), strings.HasSuffix(s, "xes"), strings.HasSuffix(s, "ches"), strings.HasSuffix(s, "shes"):
		return strings.TrimSuffix(s, "es")
	case strings.HasSuffix(s, "ss"):
		return s
	case strings.HasSuffix(s, "s"):
		return strings.TrimSuffix(s, "s")
	}
	return s
}

// loc is where a value is: the rows on the way ("order 7", "item 3") and
// the fields since the last row ("user.name", "tags[2]").
type loc struct {
	segs  []string
	chain string
	rows  nouns // the innermost row's; zero at the top
}

func (l loc) field(k string) loc {
	if l.chain != "" {
		k = l.chain + "." + k
	}
	l.chain = k
	return l
}

func (l loc) index(i int) loc {
	l.chain += fmt.Sprintf("[%d]", i)
	return l
}

func (l loc) row(n nouns, id string) loc {
	return loc{segs: append(slices.Clip(l.segs), n.one+" "+id), rows: n}
}

// where is the location as shown: "order 7, item 3, note".
func (l loc) where() string {
	parts := slices.Clone(l.segs)
	if l.chain != "" {
		parts = append(parts, l.chain)
	}
	if len(parts) == 0 {
		return "the response"
	}
	return strings.Join(parts, ", ")
}

// kind is a kind of difference, in the order a message names them.
type kind int

const (
	kMissing  kind = iota // a row of the expected answer not in the answer
	kLength               // an array not compared by id has other elements
	kExtra                // a row of the answer not in the expected one
	kOrder                // the same rows in another order
	kNoField              // a field of the expected answer missing
	kValue                // a value that differs
	kNewField             // a field the expected answer does not have
)

// instance is one difference.
type instance struct {
	at        loc // the array's (kMissing, kExtra, kOrder, kLength), else where the value is
	id        string
	row       any  // the expected row (kMissing), the answer's (kExtra)
	times     int  // kExtra: how many times the answer has the row; 0: not expected
	null      bool // kExtra: the row has no id, or a null one
	want, got any  // kValue, kNoField, kLength
	// The array's: its expected rows, those found, the answer's rows.
	expected, matched, returned int
	prefix                      bool  // kMissing: the rows found are the first expected ones
	seq                         []any // kOrder: the answer's rows in its order
	pos                         int   // kOrder: where the first misplaced row is, from 0
	gotID, wantID               string
}

// group is the differences of one kind at one place of the schema.
type group struct {
	kind    kind
	rank    string // the place's, in the expected answer's field order
	owner   string // kNoField, kNewField: the object's pattern
	name    string // kNoField, kNewField: the field
	rows    nouns  // kMissing, kExtra, kOrder: the array's rows
	keys    []sortKey
	list    []instance
	pat     string
	merged  bool       // a kNewField said with its kNoField
	parents int        // kMissing, kExtra, kOrder: how many arrays of this place were compared
	extra   []instance // kMissing: the extra rows of the same place
}

type differ struct {
	top     nouns
	rank    map[string]string  // pattern -> its place in field order
	samples map[string][][]any // array pattern -> its expected arrays compared by id
	arrays  map[string]int     // array pattern -> arrays compared
	groups  map[string]*group  // kind and pattern -> group
	list    []*group
}

func newDiffer(rows string, want any) *differ {
	d := &differ{top: nounsOf(rows), rank: map[string]string{}, samples: map[string][][]any{},
		arrays: map[string]int{}, groups: map[string]*group{}}
	d.learn("$", "", want)
	return d
}

// learn records the place of each pattern of want in field order, and the
// arrays whose order is to be inferred.
func (d *differ) learn(pat, rank string, v any) {
	if _, ok := d.rank[pat]; !ok {
		d.rank[pat] = rank
	}
	switch w := v.(type) {
	case []any:
		if keyed(w) {
			d.samples[pat] = append(d.samples[pat], w)
		}
		for _, e := range w {
			d.learn(pat+"[]", rank+"[", e)
		}
	case *object, map[string]any:
		o, _ := asObject(w)
		for i, k := range o.keys {
			d.learn(pat+"."+k, fmt.Sprintf("%s%04d.", rank, i), o.vals[k])
		}
	}
}

func (d *differ) add(k kind, pat string, in instance) *group {
	key := fmt.Sprintf("%d %s", k, pat)
	g := d.groups[key]
	if g == nil {
		rank, ok := d.rank[pat]
		if !ok {
			rank = "~"
		}
		g = &group{kind: k, rank: rank, pat: pat}
		d.groups[key] = g
		d.list = append(d.list, g)
	}
	g.list = append(g.list, in)
	return g
}

// value compares got with want, at pattern pat; name is the key it is
// under ("" for an array's element or the response).
func (d *differ) value(pat string, at loc, name string, want, got any) {
	switch w := want.(type) {
	case []any:
		g, ok := got.([]any)
		if !ok {
			d.add(kValue, pat, instance{at: at, want: want, got: got})
			return
		}
		d.array(pat, at, name, w, g)
	case *object, map[string]any:
		wo, _ := asObject(w)
		gotObj, ok := asObject(got)
		if !ok {
			d.add(kValue, pat, instance{at: at, want: want, got: got})
			return
		}
		for _, k := range wo.keys {
			gv, ok := gotObj.vals[k]
			if !ok {
				g := d.add(kNoField, pat+"."+k, instance{at: at, want: wo.vals[k]})
				g.owner, g.name = pat, k
				continue
			}
			d.value(pat+"."+k, at.field(k), k, wo.vals[k], gv)
		}
		for _, k := range gotObj.keys {
			if _, ok := wo.vals[k]; !ok {
				g := d.add(kNewField, pat+".+"+k, instance{at: at})
				g.owner, g.name = pat, k
				if r, ok := d.rank[pat]; ok {
					g.rank = r + "~"
				}
			}
		}
	default:
		if !scalarEqual(want, got) {
			d.add(kValue, pat, instance{at: at, want: want, got: got})
		}
	}
}

// array compares two arrays: by id when the expected one's rows all have
// a distinct one, else element by element.
func (d *differ) array(pat string, at loc, name string, want, got []any) {
	n := d.top
	if pat != "$" {
		n = nounsOf(name)
	}
	d.arrays[pat]++
	if !byID(want, got) {
		for i := 0; i < len(want) && i < len(got); i++ {
			d.value(pat+"[]", at.index(i), "", want[i], got[i])
		}
		if len(want) != len(got) {
			d.add(kLength, pat, instance{at: at, want: want, got: got})
		}
		return
	}
	index := map[string]int{}
	for i, e := range want {
		id, _ := field(e, "id")
		k, _ := idKey(id)
		index[k] = i
	}
	found := make([]int, len(want))
	first := make([]any, len(want))
	var seq []int // the expected rows found, in the answer's order
	ctx := instance{at: at, expected: len(want), returned: len(got)}
	var extra []instance
	for _, e := range got {
		id, ok := field(e, "id")
		k, comparable := idKey(id)
		if !ok || id == nil || !comparable {
			in := ctx
			in.row, in.null, in.id = e, true, "null"
			if ok && id != nil {
				in.null, in.id = false, briefN(id, 40)
			}
			extra = append(extra, in)
			continue
		}
		i, ok := index[k]
		if !ok {
			in := ctx
			in.row, in.id = e, idText(id)
			extra = append(extra, in)
			continue
		}
		found[i]++
		if found[i] == 1 {
			first[i] = e
			seq = append(seq, i)
		}
	}
	ctx.matched = len(seq)
	for i, c := range found {
		if c > 1 {
			in := ctx
			in.row, in.times, in.id = first[i], c, rowID(want[i])
			extra = append(extra, in)
		}
	}
	inOrder := slices.IsSorted(seq)
	for i, c := range found {
		if c == 0 {
			in := ctx
			in.row, in.id = want[i], rowID(want[i])
			in.prefix = inOrder && len(seq) > 0 && seq[len(seq)-1] == len(seq)-1
			d.add(kMissing, pat, in).rows = n
		}
	}
	for _, in := range extra {
		in.matched = ctx.matched
		d.add(kExtra, pat, in).rows = n
	}
	if !inOrder {
		sorted := slices.Sorted(slices.Values(seq))
		in := ctx
		for j := range seq {
			in.seq = append(in.seq, first[seq[j]])
		}
		for j := range seq {
			if seq[j] != sorted[j] {
				in.pos, in.gotID, in.wantID = j, rowID(want[seq[j]]), rowID(want[sorted[j]])
				break
			}
		}
		g := d.add(kOrder, pat, in)
		if g.rows = n; len(g.list) == 1 {
			g.keys = inferOrder(d.samples[pat]) // only now: an order is wrong
		}
	}
	for i, e := range want {
		if found[i] > 0 {
			d.value(pat+"[]", at.row(n, rowID(e)), "", e, first[i])
		}
	}
}

// keyed says whether rows all have an id, each a different scalar.
func keyed(rows []any) bool {
	seen := map[string]bool{}
	for _, e := range rows {
		id, ok := field(e, "id")
		if !ok || id == nil {
			return false
		}
		k, ok := idKey(id)
		if !ok || seen[k] {
			return false
		}
		seen[k] = true
	}
	return true
}

// byID says whether want and got are compared by id: the expected rows are
// keyed, and some of the answer's have an id (else the rows are of another
// shape, which a comparison of their fields says better).
func byID(want, got []any) bool {
	if !keyed(want) {
		return false
	}
	if len(got) == 0 {
		return len(want) > 0
	}
	for _, e := range got {
		if _, ok := field(e, "id"); ok {
			return true
		}
	}
	return false
}

// idKey is an id as a map key: numbers by value (a string holding a number
// too, so that an id sent as "7" is found, and then said to be a string).
func idKey(v any) (string, bool) {
	switch x := v.(type) {
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return "n" + strconv.FormatFloat(f, 'g', -1, 64), true
		}
		return "n" + x.String(), true
	case float64:
		return "n" + strconv.FormatFloat(x, 'g', -1, 64), true
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return "n" + strconv.FormatFloat(f, 'g', -1, 64), true
		}
		return "s" + x, true
	case bool:
		return fmt.Sprint("b", x), true
	}
	return "", false
}

// idText is an id as shown: 7, "a7".
func idText(v any) string {
	switch x := v.(type) {
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return briefN(v, 40)
}

func rowID(row any) string {
	id, _ := field(row, "id")
	return idText(id)
}

func scalarEqual(want, got any) bool {
	wn, wok := number(want)
	gn, gok := number(got)
	if wok || gok {
		return wok && gok && wn == gn
	}
	return want == got
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// describe describes the differences between the decoded JSON values
// want and got ("" when equal); rows names the top array's rows (the last
// segment of the endpoint's path, e.g. "orders").
func describe(rows string, want, got any) string {
	d := newDiffer(rows, want)
	d.value("$", loc{}, "", want, got)
	return d.message()
}
