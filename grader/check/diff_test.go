package check

import (
	"strings"
	"testing"
)

// Each classic mistake is explained by the difference it makes, from small
// JSON pairs: rows by id (missing, extra, out of order) before fields, in
// the expected answer's field order, with the hint the diff supports.
func TestDiff(t *testing.T) {
	const orders3 = `[{"id":1,"customer":"Zoë","items":[{"id":4,"name":"Tea","note":null},{"id":17,"name":"Lamp","note":"Gift"}]},
		{"id":2,"customer":"José","items":[]},
		{"id":3,"customer":"Ann","items":[{"id":5,"name":"Mug","note":""},{"id":6,"name":"Cup","note":null}]}]`
	tests := []struct {
		name, rows, want, got, message string
	}{
		{"an inner JOIN drops an order without items", "/api/orders", orders3,
			`[{"id":1,"customer":"Zoë","items":[{"id":4,"name":"Tea","note":null},{"id":17,"name":"Lamp","note":"Gift"}]},
			{"id":3,"customer":"Ann","items":[{"id":5,"name":"Mug","note":""},{"id":6,"name":"Cup","note":null}]}]`,
			`order 2 is missing from the answer (2 of 3 returned): it has "items": [] in the expected answer: an inner JOIN drops the orders without items (a LEFT JOIN keeps them)?`},
		{"many missing rows are counted", "/api/orders",
			`[{"id":1,"items":[]},{"id":2,"items":[]},{"id":3,"items":[]},{"id":4,"items":[]},{"id":5,"items":[{"id":1}]}]`,
			`[{"id":5,"items":[{"id":1}]}]`,
			`orders 1, 2, 3 and 1 more are missing from the answer (1 of 5 returned): each has "items": [] in the expected answer: an inner JOIN drops the orders without items (a LEFT JOIN keeps them)?`},
		{"a LIMIT", "/api/orders",
			`[{"id":1,"p":"a"},{"id":2,"p":"b"},{"id":3,"p":"c"},{"id":4,"p":"d"}]`,
			`[{"id":1,"p":"a"},{"id":2,"p":"b"}]`,
			`orders 3 and 4 are missing from the answer (2 of 4 returned): the answer stops after the first 2 of them: a LIMIT?`},
		{"a row not expected", "/api/orders",
			`[{"id":1,"p":"a"},{"id":2,"p":"b"}]`,
			`[{"id":1,"p":"a"},{"id":2,"p":"b"},{"id":9,"p":"z"}]`,
			`order 9 is in the answer but not in the expected one`},
		{"a row per joined row", "/api/orders",
			`[{"id":1,"p":"a"},{"id":2,"p":"b"}]`,
			`[{"id":1,"p":"a"},{"id":2,"p":"b"},{"id":2,"p":"b"},{"id":2,"p":"b"}]`,
			`order 2 is in the answer 3 times: a JOIN repeats an order once per matching row; group them into one (GROUP BY, json_agg, or in your code)?`},
		{"a null parent: an outer JOIN from the other side", "/api/orders",
			`[{"id":1,"p":"a","user":{"id":4}},{"id":2,"p":"b","user":{"id":5}}]`,
			`[{"id":1,"p":"a","user":{"id":4}},{"id":2,"p":"b","user":{"id":5}},{"id":null,"p":null,"user":{"id":6}}]`,
			`the answer has an order with id null: rows of NULLs: an outer JOIN (a RIGHT JOIN, or a LEFT JOIN from another table) keeps rows that match no order?`},
		{"a LEFT JOIN's row of NULLs as an item", "/api/orders", orders3,
			`[{"id":1,"customer":"Zoë","items":[{"id":4,"name":"Tea","note":null},{"id":17,"name":"Lamp","note":"Gift"}]},
			{"id":2,"customer":"José","items":[{"id":null,"name":null,"note":null}]},
			{"id":3,"customer":"Ann","items":[{"id":5,"name":"Mug","note":""},{"id":6,"name":"Cup","note":null}]}]`,
			`order 2: an item with id null is in the answer: a LEFT JOIN's row of NULLs for orders without items; leave it out (json_agg(...) FILTER (WHERE ... id IS NOT NULL), or skip NULL ids in your code)?`},
		{"a missing ORDER BY", "/api/orders",
			`[{"id":1,"p":"a"},{"id":2,"p":"b"},{"id":3,"p":"c"},{"id":4,"p":"d"}]`,
			`[{"id":3,"p":"c"},{"id":1,"p":"a"},{"id":4,"p":"d"},{"id":2,"p":"b"}]`,
			`the orders are in a different order: the 1st in the answer is order 3, where order 1 is expected: a missing ORDER BY id?`},
		{"the reverse order", "/api/orders",
			`[{"id":1,"p":"a"},{"id":2,"p":"b"},{"id":3,"p":"c"}]`,
			`[{"id":3,"p":"c"},{"id":2,"p":"b"},{"id":1,"p":"a"}]`,
			`the orders are in a different order: the 1st in the answer is order 3, where order 1 is expected: the reverse order (ORDER BY id is expected)?`},
		{"a missing tie-breaker", "/api/posts",
			`[{"id":27,"title":"a","published_on":"2024-02-19"},{"id":17,"title":"b","published_on":"2024-02-19"},{"id":30,"title":"c","published_on":"2024-01-02"},{"id":2,"title":"d","published_on":"2023-12-31"}]`,
			`[{"id":30,"title":"c","published_on":"2024-01-02"},{"id":2,"title":"d","published_on":"2023-12-31"},{"id":17,"title":"b","published_on":"2024-02-19"},{"id":27,"title":"a","published_on":"2024-02-19"}]`,
			`the posts are in a different order: the 1st in the answer is post 30, where post 27 is expected: a missing ORDER BY published_on DESC, id DESC?`},
		{"ties in another order", "/api/posts",
			`[{"id":27,"title":"a","published_on":"2024-02-19"},{"id":17,"title":"b","published_on":"2024-02-19"},{"id":30,"title":"c","published_on":"2024-01-02"},{"id":2,"title":"d","published_on":"2023-12-31"}]`,
			`[{"id":17,"title":"b","published_on":"2024-02-19"},{"id":27,"title":"a","published_on":"2024-02-19"},{"id":30,"title":"c","published_on":"2024-01-02"},{"id":2,"title":"d","published_on":"2023-12-31"}]`,
			`the posts are in a different order: the 1st in the answer is post 17, where post 27 is expected: posts with the same published_on are in another order: a missing tie-breaker (ORDER BY published_on DESC, id DESC)?`},
		{"children in another order", "/api/orders", orders3,
			`[{"id":1,"customer":"Zoë","items":[{"id":17,"name":"Lamp","note":"Gift"},{"id":4,"name":"Tea","note":null}]},
			{"id":2,"customer":"José","items":[]},
			{"id":3,"customer":"Ann","items":[{"id":5,"name":"Mug","note":""},{"id":6,"name":"Cup","note":null}]}]`,
			`order 1: its items are in a different order: the 1st is item 17, where item 4 is expected: a missing ORDER BY id for the items (inside json_agg, or after the orders' key)?`},
		{"children in an order the answer does not show", "/api/posts",
			`[{"id":1,"latest_comments":[{"id":81,"body":"b"},{"id":12,"body":"a"},{"id":40,"body":"c"}]},{"id":2,"latest_comments":[]}]`,
			`[{"id":1,"latest_comments":[{"id":12,"body":"a"},{"id":40,"body":"c"},{"id":81,"body":"b"}]},{"id":2,"latest_comments":[]}]`,
			`post 1: its latest comments are in a different order: the 1st is comment 12, where comment 81 is expected: a missing ORDER BY for the latest comments, or tie-breaker?`},
		{"children of many parents in another order", "/api/orders",
			`[{"id":1,"items":[{"id":1},{"id":2}]},{"id":2,"items":[{"id":3},{"id":4}]},{"id":3,"items":[{"id":5},{"id":6},{"id":7}]}]`,
			`[{"id":1,"items":[{"id":2},{"id":1}]},{"id":2,"items":[{"id":3},{"id":4}]},{"id":3,"items":[{"id":7},{"id":5},{"id":6}]}]`,
			`the items of 2 of the 3 orders are in a different order; in order 1, the 1st is item 2, where item 1 is expected: a missing ORDER BY id for the items (inside json_agg, or after the orders' key)?`},
		{"a filter in WHERE drops some children", "/api/orders", orders3,
			`[{"id":1,"customer":"Zoë","items":[{"id":17,"name":"Lamp","note":"Gift"}]},
			{"id":2,"customer":"José","items":[]},
			{"id":3,"customer":"Ann","items":[{"id":5,"name":"Mug","note":""},{"id":6,"name":"Cup","note":null}]}]`,
			`order 1: item 4 is missing from the answer (1 of 2 returned): only some items of this order are missing: a condition on the joined table in WHERE instead of in ON?`},
		{"a filter in WHERE drops the posts with nothing to count", "/api/posts",
			`[{"id":1,"title":"a","comment_count":0},{"id":2,"title":"b","comment_count":2},{"id":3,"title":"c","comment_count":0}]`,
			`[{"id":2,"title":"b","comment_count":2}]`,
			`posts 1 and 3 are missing from the answer (1 of 3 returned): each has "comment_count": 0 in the expected answer: an inner JOIN, or a condition on the joined table in WHERE instead of in ON, drops the posts with nothing to count?`},
		{"count(*) over a LEFT JOIN", "/api/posts",
			`[{"id":1,"title":"a","comment_count":0},{"id":2,"title":"b","comment_count":2},{"id":3,"title":"c","comment_count":0}]`,
			`[{"id":1,"title":"a","comment_count":1},{"id":2,"title":"b","comment_count":2},{"id":3,"title":"c","comment_count":1}]`,
			`comment_count differs in 2 posts: post 1: want 0, got 1; post 3: want 0, got 1: counts of 1 where 0 is expected: count(*) over a LEFT JOIN counts the row of NULLs; count a column of the joined table instead (count(c.id))?`},
		{"ties picked another way", "/api/posts",
			`[{"id":1,"latest_comments":[{"id":5},{"id":4},{"id":3}]},{"id":2,"latest_comments":[{"id":9},{"id":8}]}]`,
			`[{"id":1,"latest_comments":[{"id":5},{"id":4},{"id":2}]},{"id":2,"latest_comments":[{"id":9},{"id":8}]}]`,
			"2 differences from the expected answer:\n" +
				"  - post 1: comment 3 is missing from the answer (2 of 3 found): other latest comments than expected, as many: rows tied in the ORDER BY picked another way (a missing tie-breaker)?\n" +
				"  - post 1, comment 2 is in the answer but not in the expected one"},
		{"children missing and extra in several parents", "/api/posts",
			`[{"id":1,"comments":[{"id":1},{"id":2},{"id":3}]},{"id":2,"comments":[{"id":4},{"id":5}]},{"id":3,"comments":[{"id":6},{"id":7}]},{"id":4,"comments":[{"id":8},{"id":9}]}]`,
			`[{"id":1,"comments":[{"id":1}]},{"id":2,"comments":[{"id":4},{"id":5},{"id":5}]},{"id":3,"comments":[{"id":7},{"id":null}]},{"id":4,"comments":[{"id":8}]}]`,
			"6 differences from the expected answer:\n" +
				"  - 4 comments are missing from the answer, in 3 of the 4 posts: post 1: comments 2 and 3; post 3: comment 6; and 1 more post: only some comments of these posts are missing: a condition on the joined table in WHERE instead of in ON?\n" +
				"  - 2 comments of the answer are not in the expected one, in 2 of the 4 posts: post 2: comment 5 (2 times); post 3: comment null"},
		{"counts too high", "/api/posts",
			`[{"id":1,"comment_count":0},{"id":2,"comment_count":2}]`,
			`[{"id":1,"comment_count":3},{"id":2,"comment_count":5}]`,
			`comment_count differs in 2 posts: post 1: want 0, got 3; post 2: want 2, got 5: counts higher than expected: rows counted that should not be (a condition left out, or a JOIN that repeats rows)?`},
		{"a nested field, with its path", "/api/orders", orders3,
			`[{"id":1,"customer":"Zoë","items":[{"id":4,"name":"Tea","note":""},{"id":17,"name":"Lamp","note":"Gift"}]},
			{"id":2,"customer":"José","items":[]},
			{"id":3,"customer":"Ann","items":[{"id":5,"name":"Mug","note":""},{"id":6,"name":"Cup","note":null}]}]`,
			`order 1, item 4, note: want null, got ""`},
		{"rows first, then fields in the expected answer's order", "/api/orders",
			`[{"id":1,"zeta":"z","alpha":"a"},{"id":2,"zeta":"z","alpha":"a"},{"id":3,"zeta":"z","alpha":"a"}]`,
			`[{"id":1,"zeta":"z","alpha":"A"},{"id":2,"zeta":"Z","alpha":"a"}]`,
			"3 differences from the expected answer:\n" +
				"  - order 3 is missing from the answer (2 of 3 returned)\n" +
				"  - order 2, zeta: want \"z\", got \"Z\"\n" +
				"  - order 1, alpha: want \"a\", got \"A\""},
		{"a few kinds named, and how many in all", "/api/orders",
			`[{"id":1,"a":1,"b":1,"c":1,"d":1},{"id":2,"a":1,"b":1,"c":1,"d":1},{"id":3,"a":1,"b":1,"c":1,"d":1}]`,
			`[{"id":1,"a":2,"b":2,"c":2,"d":2},{"id":2,"a":2,"b":2,"c":2,"d":2}]`,
			"9 differences from the expected answer:\n" +
				"  - order 3 is missing from the answer (2 of 3 returned)\n" +
				"  - a differs in 2 orders: order 1: want 1, got 2; order 2: want 1, got 2\n" +
				"  - b differs in 2 orders: order 1: want 1, got 2; order 2: want 1, got 2\n" +
				"  - c differs in 2 orders: order 1: want 1, got 2; order 2: want 1, got 2\n" +
				"  - and 2 other differences"},
		{"json_agg of no rows", "/api/orders", `[{"id":1,"items":[]}]`, `[{"id":1,"items":null}]`,
			`order 1, items: want [], got null: json_agg over no rows is NULL: coalesce(json_agg(...), '[]')?`},
		{"a long string cut short", "/api/orders",
			`[{"id":1,"name":"` + strings.Repeat("a", 300) + `"}]`, `[{"id":1,"name":"` + strings.Repeat("a", 255) + `"}]`,
			`order 1, name: want "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…" (300 characters), got only its first 255`},
		{"a long string that differs inside", "/api/orders",
			`[{"id":1,"name":"` + strings.Repeat("a", 100) + `é` + strings.Repeat("b", 100) + `"}]`,
			`[{"id":1,"name":"` + strings.Repeat("a", 100) + `Ã©` + strings.Repeat("b", 100) + `"}]`,
			`order 1, name: want "…aaaaaaaaaaaaaaaaaaaaébbbbbbbbbbbbbbbbbbb…", got "…aaaaaaaaaaaaaaaaaaaaÃ©bbbbbbbbbbbbbbbbbb…" (201 and 202 characters, the first 100 the same)`},
		{"ids sent as strings", "/api/orders",
			`[{"id":1,"p":"a"},{"id":2,"p":"b"}]`, `[{"id":"1","p":"a"},{"id":"2","p":"b"}]`,
			`id differs in 2 orders: order 1: want 1, got "1"; order 2: want 2, got "2"`},
		{"not an array", "/api/orders", `[{"id":1}]`, `{"orders":[{"id":1}]}`,
			`the response: want an array of 1, got {"orders":[{"id":1}]}`},
		{"rows without ids compare by position", "/api/orders", `[1,2,3]`, `[1,5]`,
			"2 differences from the expected answer:\n" +
				"  - the response: want 3 elements, got 2; first missing: 3\n" +
				"  - [1]: want 2, got 5"},
		{"the same", "/api/orders", orders3, strings.ReplaceAll(orders3, `"id":1,"customer":"Zoë"`, `"customer":"Zoë","id":1.0`), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := parseOrdered([]byte(tt.want))
			if err != nil {
				t.Fatal(err)
			}
			g, err := parseOrdered([]byte(tt.got))
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(tt.rows, w, g); got != tt.message {
				t.Errorf("describe =\n%s\nwant\n%s", got, tt.message)
			}
		})
	}
}

// A map, which has no field order, is compared in sorted key order.
func TestDiffOfMaps(t *testing.T) {
	want := map[string]any{"b": "1", "a": "1"}
	got := map[string]any{"b": "2", "a": "2"}
	if d := DiffJSON(want, got); !strings.Contains(d, "  - a: want \"1\", got \"2\"\n  - b:") {
		t.Errorf("DiffJSON = %q, want a before b", d)
	}
}
