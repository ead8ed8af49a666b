package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
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

// object is a JSON object with its keys in the order they came.
type object struct {
	keys []string
	vals map[string]any
}

// maxDepth bounds the nesting decodeOrdered accepts, as encoding/json does.
const maxDepth = 10000

// decodeOrdered decodes one JSON value from d, objects as *object (keys in
// order), numbers as json.Number.
func decodeOrdered(d *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("exceeded max depth")
	}
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil // string, json.Number, bool or nil
	}
	switch delim {
	case '[':
		arr := []any{}
		for d.More() {
			v, err := decodeOrdered(d, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := d.Token()
		return arr, err
	case '{':
		o := &object{vals: map[string]any{}}
		for d.More() {
			kt, err := d.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			v, err := decodeOrdered(d, depth+1)
			if err != nil {
				return nil, err
			}
			if _, dup := o.vals[k]; !dup {
				o.keys = append(o.keys, k)
			}
			o.vals[k] = v
		}
		_, err := d.Token()
		return o, err
	}
	return nil, fmt.Errorf("unexpected %v", delim)
}

// parseOrdered decodes b, which must be one JSON value.
func parseOrdered(b []byte) (any, error) {
	if !json.Valid(b) {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, err
		}
		return nil, errors.New("invalid JSON")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return decodeOrdered(d, 0)
}

// asObject returns v as an *object: a map's keys, which have no order of
// their own, come sorted.
func asObject(v any) (*object, bool) {
	switch o := v.(type) {
	case *object:
		return o, true
	case map[string]any:
		keys := make([]string, 0, len(o))
		for k := range o {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return &object{keys: keys, vals: o}, true
	}
	return nil, false
}

// field returns the value of key k of v, if v is an object that has it.
func field(v any, k string) (any, bool) {
	switch o := v.(type) {
	case *object:
		x, ok := o.vals[k]
		return x, ok
	case map[string]any:
		x, ok := o[k]
		return x, ok
	}
	return nil, false
}

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

// sortKey is one key of an order: a field, ascending or descending.
type sortKey struct {
	field string
	desc  bool
}

// sqlOrder is keys as an ORDER BY list: "published_on DESC, id DESC".
func sqlOrder(keys []sortKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.field
		if k.desc {
			parts[i] += " DESC"
		}
	}
	return strings.Join(parts, ", ")
}

// compare orders two scalars of the same JSON type.
func compare(a, b any) (int, bool) {
	if an, ok := number(a); ok {
		bn, ok := number(b)
		if !ok {
			return 0, false
		}
		switch {
		case an < bn:
			return -1, true
		case an > bn:
			return 1, true
		}
		return 0, true
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return strings.Compare(x, y), ok
	case bool:
		y, ok := b.(bool)
		if !ok {
			return 0, false
		}
		switch {
		case x == y:
			return 0, true
		case !x:
			return -1, true
		}
		return 1, true
	}
	return 0, false
}

// sortedBy says whether rows are in the order of keys; strict: with no
// two rows equal on all of them.
func sortedBy(rows []any, keys []sortKey, strict bool) bool {
	for i := 1; i < len(rows); i++ {
		c := 0
		for _, k := range keys {
			a, aok := field(rows[i-1], k.field)
			b, bok := field(rows[i], k.field)
			if !aok || !bok {
				return false
			}
			x, ok := compare(a, b)
			if !ok {
				return false
			}
			if k.desc {
				x = -x
			}
			if x != 0 {
				c = x
				break
			}
		}
		if c > 0 || (strict && c == 0) {
			return false
		}
	}
	return true
}

// inferOrder finds the order of the expected arrays of one place: keys
// that sort every one of them strictly, the likeliest first: id; a key
// with ties, then id; another key; a key with ties, then another. It
// returns nil when none does, or when the arrays are too small to tell.
func inferOrder(arrays [][]any) []sortKey {
	pairs := 0
	var sample *object
	for _, a := range arrays {
		pairs += max(0, len(a)-1)
		if sample == nil && len(a) > 0 {
			sample, _ = asObject(a[0])
		}
	}
	if pairs < 2 || sample == nil {
		return nil
	}
	var fields []string
	for _, k := range sample.keys {
		if _, ok := compare(sample.vals[k], sample.vals[k]); ok {
			fields = append(fields, k)
		}
	}
	all := func(keys []sortKey, strict bool) bool {
		for _, a := range arrays {
			if !sortedBy(a, keys, strict) {
				return false
			}
		}
		return true
	}
	dirs := []bool{false, true}
	single := func(f string) []sortKey {
		for _, desc := range dirs {
			if k := []sortKey{{f, desc}}; all(k, true) {
				return k
			}
		}
		return nil
	}
	pair := func(f string, breakers []string) []sortKey {
		for _, desc := range dirs {
			if !all([]sortKey{{f, desc}}, false) || all([]sortKey{{f, desc}}, true) {
				continue // not sorted by f, or with no ties to break
			}
			for _, t := range breakers {
				for _, tdesc := range dirs {
					if k := []sortKey{{f, desc}, {t, tdesc}}; t != f && all(k, true) {
						return k
					}
				}
			}
		}
		return nil
	}
	hasID := slices.Contains(fields, "id")
	if hasID {
		if k := single("id"); k != nil {
			return k
		}
		for _, f := range fields {
			if k := pair(f, []string{"id"}); k != nil {
				return k
			}
		}
	}
	for _, f := range fields {
		if k := single(f); k != nil {
			return k
		}
	}
	for _, f := range fields {
		if k := pair(f, fields); k != nil {
			return k
		}
	}
	return nil
}

func flip(keys []sortKey) []sortKey {
	out := slices.Clone(keys)
	for i := range out {
		out[i].desc = !out[i].desc
	}
	return out
}

// maxLines is how many kinds of difference a message names.
const maxLines = 4

// message describes the differences ("" when there are none): one line
// when they are of one kind, else a count and a line for each of the first
// few kinds.
func (d *differ) message() string {
	if len(d.list) == 0 {
		return ""
	}
	order := func(k kind) int {
		switch k {
		case kMissing, kLength:
			return 0
		case kExtra:
			return 1
		case kOrder:
			return 2
		}
		return 3
	}
	groups := slices.Clone(d.list)
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if order(a.kind) != order(b.kind) {
			return order(a.kind) < order(b.kind)
		}
		return a.rank < b.rank
	})
	total := 0
	for _, g := range groups {
		total += len(g.list)
		g.parents = d.arrays[g.pat]
		if x := d.groups[fmt.Sprintf("%d %s", kExtra, g.pat)]; g.kind == kMissing && x != nil {
			g.extra = x.list
		}
	}
	var lines []string
	said := map[*group]bool{}
	for _, g := range groups {
		if g.merged {
			continue
		}
		if len(lines) == maxLines {
			break
		}
		lines = append(lines, d.line(g, groups))
		said[g] = true
	}
	shown := 0
	for _, g := range groups {
		if said[g] || g.merged {
			shown += len(g.list)
		}
	}
	if len(lines) == 1 && shown == total {
		return lines[0]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d differences from the expected answer:", total)
	for _, l := range lines {
		b.WriteString("\n  - " + l)
	}
	if rest := total - shown; rest > 0 {
		fmt.Fprintf(&b, "\n  - and %s", plural(rest, "1 other difference", fmt.Sprintf("%d other differences", rest)))
	}
	return b.String()
}

func (d *differ) line(g *group, all []*group) string {
	switch g.kind {
	case kMissing:
		return missingLine(g)
	case kExtra:
		return extraLine(g)
	case kOrder:
		return orderLine(g)
	case kLength:
		in := g.list[0]
		w, _ := in.want.([]any)
		gt, _ := in.got.([]any)
		n := min(len(w), len(gt))
		if len(gt) < len(w) {
			return fmt.Sprintf("%s: want %d elements, got %d; first missing: %s", in.at.where(), len(w), len(gt), brief(w[n]))
		}
		return fmt.Sprintf("%s: want %d elements, got %d; first extra: %s", in.at.where(), len(w), len(gt), brief(gt[n]))
	case kNoField:
		var have []string
		for _, o := range all {
			if o.kind == kNewField && o.owner == g.owner && !o.merged {
				o.merged = true
				have = append(have, fmt.Sprintf("%q", o.name))
			}
		}
		in := g.list[0]
		var s string
		if len(g.list) == 1 {
			s = fmt.Sprintf("%s: missing field %q (want %s)", in.at.where(), g.name, briefN(in.want, 80))
		} else {
			s = fmt.Sprintf("missing field %q in %d %s (%s: want %s)", g.name, len(g.list), manyOf(in.at), in.at.where(), briefN(in.want, 80))
		}
		if len(have) > 0 {
			s += fmt.Sprintf("; %s %s, which the expected answer does not have", plural(len(g.list), "it has", "they have"), strings.Join(have, ", "))
		}
		return s
	case kNewField:
		in := g.list[0]
		if len(g.list) == 1 {
			return fmt.Sprintf("%s: unexpected field %q", in.at.where(), g.name)
		}
		return fmt.Sprintf("unexpected field %q in %d %s (the first: %s)", g.name, len(g.list), manyOf(in.at), in.at.where())
	}
	return valueLine(g)
}

// manyOf names the rows values at l are in: "orders"; "places" at the top.
func manyOf(l loc) string {
	if l.rows.many == "" {
		return "places"
	}
	return l.rows.many
}

// rowList names rows of one array: "order 2", "orders 2 and 5", "orders
// 2, 5, 9 and 20 more".
func rowList(n nouns, ids []string) string {
	if len(ids) == 1 {
		return n.one + " " + ids[0]
	}
	return n.ids + " " + list(ids, 3)
}

// list joins the first few of items: "a, b and c", "a, b, c and 7 more".
func list(items []string, few int) string {
	if len(items) > few {
		return strings.Join(items[:few], ", ") + fmt.Sprintf(" and %d more", len(items)-few)
	}
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// parent names the row holding an array: "order 7".
func parent(l loc) string {
	if len(l.segs) == 0 {
		return l.where()
	}
	return strings.Join(l.segs, ", ")
}

// parentsOf are the distinct rows holding the arrays of the instances.
func parentsOf(list []instance) []string {
	var out []string
	seen := map[string]bool{}
	for _, in := range list {
		if w := parent(in.at); !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// byParent names the rows of the instances under their parents, the
// first few parents: "order 7: items 3 and 4; order 9: item 12; and 3
// more orders".
func byParent(n nouns, list []instance, note func(instance) string) string {
	var parents []string
	ids := map[string][]string{}
	for _, in := range list {
		p := parent(in.at)
		if _, ok := ids[p]; !ok {
			parents = append(parents, p)
		}
		ids[p] = append(ids[p], in.id+note(in))
	}
	const few = 2
	var parts []string
	for _, p := range parents[:min(few, len(parents))] {
		parts = append(parts, p+": "+rowList(n, ids[p]))
	}
	s := strings.Join(parts, "; ")
	if len(parents) > few {
		more := len(parents) - few
		s += fmt.Sprintf("; and %d more %s", more, plural(more, firstNonEmpty(list[0].at.rows.one, "array"), parentNouns(list[0].at)))
	}
	return s
}

// label names the row of an instance with its parents: "order 7, item 3".
func label(n nouns, in instance) string {
	return strings.Join(append(slices.Clone(in.at.segs), n.one+" "+in.id), ", ")
}

func missingLine(g *group) string {
	n := g.rows
	in := g.list[0]
	var s string
	switch parents := parentsOf(g.list); {
	case len(in.at.segs) == 0 && in.at.chain == "":
		var ids []string
		for _, m := range g.list {
			ids = append(ids, m.id)
		}
		s = fmt.Sprintf("%s %s missing from the answer (%s)", rowList(n, ids), plural(len(ids), "is", "are"), found(in))
	case len(parents) == 1:
		var ids []string
		for _, m := range g.list {
			ids = append(ids, m.id)
		}
		s = fmt.Sprintf("%s: %s %s missing from the answer (%s)", parents[0], rowList(n, ids), plural(len(ids), "is", "are"), found(in))
	default:
		s = fmt.Sprintf("%d %s are missing from the answer, in %d of the %d %s: %s", len(g.list), n.many, len(parents), g.parents, parentNouns(in.at), byParent(n, g.list, noNote))
	}
	if h := missingHint(g); h != "" {
		s += ": " + h
	}
	return s
}

func noNote(instance) string { return "" }

// found says how many of an array's expected rows the answer has: "77 of
// 100 returned", or "2 of 3 found" when it has other rows too.
func found(in instance) string {
	if in.returned == in.matched {
		return fmt.Sprintf("%d of %d returned", in.matched, in.expected)
	}
	return fmt.Sprintf("%d of %d found", in.matched, in.expected)
}

func parentNouns(l loc) string {
	if l.rows.many != "" {
		return l.rows.many
	}
	return "arrays"
}

// missingHint says what the missing rows have in common, when it is the
// mark of a classic mistake.
func missingHint(g *group) string {
	n := g.rows
	each := plural(len(g.list), "it has", "each has")
	first, _ := asObject(g.list[0].row)
	if first != nil {
		// Rows with an empty child list: an inner JOIN drops them.
		for _, k := range first.keys {
			if arr, ok := first.vals[k].([]any); !ok || len(arr) != 0 {
				continue
			}
			if all(g.list, func(in instance) bool { v, _ := field(in.row, k); a, ok := v.([]any); return ok && len(a) == 0 }) {
				return fmt.Sprintf("%s %q: [] in the expected answer: an inner JOIN drops the %s without %s (a LEFT JOIN keeps them)?", each, k, n.many, nounsOf(k).many)
			}
		}
		// Rows with nothing to count: an inner JOIN, or a condition on
		// the joined table in WHERE, drops them.
		for _, k := range first.keys {
			if !strings.Contains(k, "count") {
				continue
			}
			if all(g.list, func(in instance) bool { v, _ := field(in.row, k); f, ok := number(v); return ok && f == 0 }) {
				return fmt.Sprintf("%s %q: 0 in the expected answer: an inner JOIN, or a condition on the joined table in WHERE instead of in ON, drops the %s with nothing to count?", each, k, n.many)
			}
		}
	}
	in := g.list[0]
	if len(in.at.segs) == 0 && in.at.chain == "" {
		if in.prefix && in.matched >= 2 && len(g.list) >= 2 {
			return fmt.Sprintf("the answer stops after the first %d of them: a LIMIT?", in.matched)
		}
		return ""
	}
	// Nested rows: as many others in their place, or some of the rows of
	// some parents.
	extras := map[string]int{}
	missing := map[string]int{}
	for _, m := range g.list {
		missing[parent(m.at)]++
	}
	for _, x := range g.extra {
		if !x.null && x.times == 0 {
			extras[parent(x.at)]++
		}
	}
	if len(extras) > 0 && maps(missing, extras) {
		return fmt.Sprintf("other %s than expected, as many: rows tied in the ORDER BY picked another way (a missing tie-breaker)?", n.many)
	}
	if all(g.list, func(in instance) bool { return in.matched > 0 }) {
		those := "these " + parentNouns(in.at)
		if len(missing) == 1 {
			those = "this " + firstNonEmpty(in.at.rows.one, "array")
		}
		return fmt.Sprintf("only some %s of %s are missing: a condition on the joined table in WHERE instead of in ON?", n.many, those)
	}
	return ""
}

func maps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func all(list []instance, f func(instance) bool) bool {
	for _, in := range list {
		if !f(in) {
			return false
		}
	}
	return true
}

func extraLine(g *group) string {
	n := g.rows
	in := g.list[0]
	top := len(in.at.segs) == 0 && in.at.chain == ""
	var unexpected, dups, nulls []instance
	for _, x := range g.list {
		switch {
		case x.null:
			nulls = append(nulls, x)
		case x.times > 1:
			dups = append(dups, x)
		default:
			unexpected = append(unexpected, x)
		}
	}
	ids := func(list []instance) []string {
		var out []string
		for _, x := range list {
			out = append(out, x.id)
		}
		return out
	}
	var s string
	switch {
	case top:
		var parts []string
		if len(unexpected) > 0 {
			parts = append(parts, fmt.Sprintf("%s %s in the answer but not in the expected one", rowList(n, ids(unexpected)), plural(len(unexpected), "is", "are")))
		}
		if len(dups) == 1 {
			parts = append(parts, fmt.Sprintf("%s %s is in the answer %d times", n.one, dups[0].id, dups[0].times))
		} else if len(dups) > 1 {
			parts = append(parts, fmt.Sprintf("%s are in the answer more than once (%s %s: %d times)", rowList(n, ids(dups)), n.one, dups[0].id, dups[0].times))
		}
		if len(nulls) == 1 {
			parts = append(parts, fmt.Sprintf("the answer has %s %s with id null", article(n.one), n.one))
		} else if len(nulls) > 1 {
			parts = append(parts, fmt.Sprintf("the answer has %d %s with id null", len(nulls), n.many))
		}
		s = strings.Join(parts, "; ")
	case len(g.list) == 1 && len(nulls) == 1:
		s = fmt.Sprintf("%s: %s %s with id null is in the answer", parent(in.at), article(n.one), n.one)
	case len(g.list) == 1 && len(dups) == 1:
		s = fmt.Sprintf("%s is in the answer %d times", label(n, dups[0]), in.times)
	case len(g.list) == 1:
		s = fmt.Sprintf("%s is in the answer but not in the expected one", label(n, in))
	default:
		note := func(x instance) string {
			if x.times > 1 {
				return fmt.Sprintf(" (%d times)", x.times)
			}
			return ""
		}
		s = fmt.Sprintf("%d %s of the answer are not in the expected one, in %d of the %d %s: %s", len(g.list), n.many, len(parentsOf(g.list)), g.parents, parentNouns(in.at), byParent(n, g.list, note))
	}
	switch {
	case len(nulls) == len(g.list) && !top && all(g.list, func(x instance) bool { return x.expected == 0 }):
		s += fmt.Sprintf(": a LEFT JOIN's row of NULLs for %s without %s; leave it out (json_agg(...) FILTER (WHERE ... id IS NOT NULL), or skip NULL ids in your code)?", parentNouns(in.at), n.many)
	case len(nulls) == len(g.list) && top:
		s += fmt.Sprintf(": rows of NULLs: an outer JOIN (a RIGHT JOIN, or a LEFT JOIN from another table) keeps rows that match no %s?", n.one)
	case len(dups) == len(g.list):
		s += fmt.Sprintf(": a JOIN repeats %s %s once per matching row; group them into one (GROUP BY, json_agg, or in your code)?", article(n.one), n.one)
	}
	return s
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// orderClass says how rows the expected answer sorts by keys are ordered:
// "unknown" (keys are not known), "reversed" (told apart from unsorted
// from 3 rows on), "ties" (by the first key, not by the tie-breaker),
// "unsorted".
func orderClass(rows []any, keys []sortKey) string {
	switch {
	case keys == nil:
		return "unknown"
	case len(rows) > 2 && sortedBy(rows, flip(keys), false):
		return "reversed"
	case len(keys) > 1 && sortedBy(rows, keys[:1], false):
		return "ties"
	}
	return "unsorted"
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}

func orderLine(g *group) string {
	n := g.rows
	in := g.list[0]
	top := len(in.at.segs) == 0 && in.at.chain == ""
	class := orderClass(in.seq, g.keys)
	for _, x := range g.list[1:] {
		if orderClass(x.seq, g.keys) != class {
			class = "unsorted"
		}
	}
	first := fmt.Sprintf("the %s is %s %s, where %s %s is expected", ordinal(in.pos+1), n.one, in.gotID, n.one, in.wantID)
	var s string
	switch {
	case top:
		s = fmt.Sprintf("the %s are in a different order: the %s in the answer is %s %s, where %s %s is expected", n.many, ordinal(in.pos+1), n.one, in.gotID, n.one, in.wantID)
	case len(g.list) == 1:
		s = fmt.Sprintf("%s: its %s are in a different order: %s", parent(in.at), n.many, first)
	default:
		s = fmt.Sprintf("the %s of %d of the %d %s are in a different order; in %s, %s", n.many, len(g.list), g.parents, parentNouns(in.at), parent(in.at), first)
	}
	switch class {
	case "unknown":
		if top {
			return s + ": a missing ORDER BY, or tie-breaker?"
		}
		return s + fmt.Sprintf(": a missing ORDER BY for the %s, or tie-breaker?", n.many)
	case "reversed":
		return s + fmt.Sprintf(": the reverse order (ORDER BY %s is expected)?", sqlOrder(g.keys))
	case "ties":
		return s + fmt.Sprintf(": %s with the same %s are in another order: a missing tie-breaker (ORDER BY %s)?", n.many, g.keys[0].field, sqlOrder(g.keys))
	}
	if top {
		return s + fmt.Sprintf(": a missing ORDER BY %s?", sqlOrder(g.keys))
	}
	return s + fmt.Sprintf(": a missing ORDER BY %s for the %s (inside json_agg, or after the %s' key)?", sqlOrder(g.keys), n.many, parentNouns(in.at))
}

func valueLine(g *group) string {
	in := g.list[0]
	var s string
	if len(g.list) == 1 {
		s = fmt.Sprintf("%s: %s", in.at.where(), pair(in.want, in.got, 200))
	} else {
		label := in.at.chain
		for _, x := range g.list {
			if x.at.chain != label {
				label = ""
			}
		}
		var examples []string
		for _, x := range g.list[:min(2, len(g.list))] {
			w := x.at.where()
			if label != "" && len(x.at.segs) > 0 {
				w = strings.Join(x.at.segs, ", ")
			}
			examples = append(examples, w+": "+pair(x.want, x.got, 60))
		}
		more := ""
		if len(g.list) > 2 {
			more = "; …"
		}
		if label != "" {
			s = fmt.Sprintf("%s differs in %d %s: %s%s", label, len(g.list), manyOf(in.at), strings.Join(examples, "; "), more)
		} else {
			s = fmt.Sprintf("%d values differ: %s%s", len(g.list), strings.Join(examples, "; "), more)
		}
	}
	switch {
	case all(g.list, func(x instance) bool {
		w, wok := number(x.want)
		v, gok := number(x.got)
		return wok && gok && w == 0 && v == 1
	}):
		s += ": counts of 1 where 0 is expected: count(*) over a LEFT JOIN counts the row of NULLs; count a column of the joined table instead (count(c.id))?"
	case strings.Contains(in.at.chain, "count") && all(g.list, func(x instance) bool { w, wok := number(x.want); v, gok := number(x.got); return wok && gok && v > w }):
		s += ": counts higher than expected: rows counted that should not be (a condition left out, or a JOIN that repeats rows)?"
	case all(g.list, func(x instance) bool { w, ok := x.want.([]any); return ok && len(w) == 0 && x.got == nil }):
		s += ": json_agg over no rows is NULL: coalesce(json_agg(...), '[]')?"
	case all(g.list, func(x instance) bool { _, ok := asObject(x.want); return ok && x.got == nil }):
		s += ": a LEFT JOIN whose ON condition matched no row?"
	}
	return s
}

// pair says what was wanted and what came; values are cut to about
// limit characters, long strings around where they differ.
func pair(want, got any, limit int) string {
	ws, wok := want.(string)
	gs, gok := got.(string)
	if wok && gok {
		wr, gr := []rune(ws), []rune(gs)
		if max(len(wr), len(gr)) > limit {
			p := 0
			for p < len(wr) && p < len(gr) && wr[p] == gr[p] {
				p++
			}
			switch {
			case p == len(gr):
				return fmt.Sprintf("want %s (%d characters), got only its first %d", cut(wr, 0, min(len(wr), 40)), len(wr), len(gr))
			case p == len(wr):
				return fmt.Sprintf("want %s (%d characters), got it followed by %s", cut(wr, max(0, p-20), p), len(wr), cut(gr, p, min(len(gr), p+30)))
			}
			from := max(0, p-20)
			return fmt.Sprintf("want %s, got %s (%d and %d characters, the first %d the same)", cut(wr, from, min(len(wr), p+20)), cut(gr, from, min(len(gr), p+20)), len(wr), len(gr), p)
		}
	}
	switch w := want.(type) {
	case []any:
		if _, ok := got.([]any); !ok {
			if len(w) == 0 {
				return fmt.Sprintf("want [], got %s", briefN(got, limit))
			}
			return fmt.Sprintf("want an array of %d, got %s", len(w), briefN(got, limit))
		}
	case *object, map[string]any:
		if _, ok := asObject(got); !ok {
			return fmt.Sprintf("want an object, got %s", briefN(got, limit))
		}
	}
	return fmt.Sprintf("want %s, got %s", briefN(want, limit), briefN(got, limit))
}

// cut is r[from:to] as a JSON string, with "…" where it was cut.
func cut(r []rune, from, to int) string {
	s := brief(string(r[from:to]))
	if from > 0 {
		s = `"…` + s[1:]
	}
	if to < len(r) {
		s = s[:len(s)-1] + `…"`
	}
	return s
}

// describe describes the differences between the decoded JSON values
// want and got ("" when equal); rows names the top array's rows (the last
// segment of the endpoint's path, e.g. "orders").
func describe(rows string, want, got any) string {
	d := newDiffer(rows, want)
	d.value("$", loc{}, "", want, got)
	return d.message()
}

// MarshalJSON writes o with its keys in order, without HTML escapes.
func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := e.Encode(k); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // Encode's newline
		b.WriteByte(':')
		if err := e.Encode(o.vals[k]); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
