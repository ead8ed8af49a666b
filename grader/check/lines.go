package check

import (
	"fmt"
	"strconv"
	"strings"
)

// This file writes one line of the correctness diff's message per kind of
// difference: missing rows, extra rows, rows out of order, wrong values.

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
