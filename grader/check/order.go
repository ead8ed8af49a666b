package check

import (
	"slices"
	"strings"
)

// This file infers the order the expected arrays are sorted in, for the
// correctness diff (diff.go) to name an ORDER BY missing or wrong.

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
