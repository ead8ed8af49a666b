package check

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// This file writes the correctness diff's message (diff.go), a line per
// kind of difference (lines.go).

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
