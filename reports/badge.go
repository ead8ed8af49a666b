package reports

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Badge colours, as shields.io names and draws them.
const (
	colorPass  = "#4c1"    // brightgreen
	colorFail  = "#e05d44" // red
	colorError = "#9f9f9f" // lightgrey
	colorLabel = "#555"
)

// BadgeLabel and BadgeMessage are the two halves of a card's badge:
// "orders-users" and "pass · 1 query", "fail · 101 queries", "fail · wrong
// answer", "error".
func BadgeLabel(c *Card) string {
	if c.Challenge.ID == "" {
		return "nplus1"
	}
	return c.Challenge.ID
}

// BadgeMessage is the right half of the badge: the verdict and, when
// measured, the data statements per request (and the starter's, when the
// card has a baseline). A failed card shows its count only when the count
// is what failed (statements, scaling); else it says what failed, so that
// a few statements never read as a win: "wrong answer" (correct or fresh
// failed), "writes data", "too slow", or the check's name.
func BadgeMessage(c *Card) string {
	v := c.Verdict
	if v == "" {
		v = Error
	}
	if c.Metrics == nil || v == Error {
		return v
	}
	if v == Fail {
		if what := failedWhat(c); what != "" {
			return v + " · " + what
		}
	}
	msg := v + " · " + queries(c.Metrics.Statements)
	if b := c.Baseline; b != nil && b.Metrics.Statements != c.Metrics.Statements {
		msg += fmt.Sprintf(" (was %d)", b.Metrics.Statements)
	}
	return msg
}

// failedWhat says what failed on a failed card when it is not the
// statement count: "wrong answer", "writes data", "too slow", a check's
// name; "" when the count failed (or no check did).
func failedWhat(c *Card) string {
	if wrongAnswer(c) != nil {
		return "wrong answer"
	}
	var first string
	for _, ch := range c.Checks {
		if ch.Status != Fail {
			continue
		}
		switch ch.Name {
		case "statements", "scaling":
			return ""
		}
		if first == "" {
			first = ch.Name
		}
	}
	switch first {
	case "read-only":
		return "writes data"
	case "latency":
		return "too slow"
	}
	return first
}

// wrongAnswer returns the failed check that says the answers were wrong:
// correct, else fresh (right at first, wrong after the data changed);
// nil when the answers were right.
func wrongAnswer(c *Card) *Check {
	for _, name := range []string{"correct", "fresh"} {
		if ch := c.Check(name); ch != nil && ch.Status == Fail {
			return ch
		}
	}
	return nil
}

func badgeColor(verdict string) (hex, name string) {
	switch verdict {
	case Pass:
		return colorPass, "brightgreen"
	case Fail:
		return colorFail, "red"
	}
	return colorError, "lightgrey"
}

// BadgeSVG renders the card's badge in the shields.io "flat" style.
func BadgeSVG(c *Card) string {
	hex, _ := badgeColor(c.Verdict)
	return Badge(BadgeLabel(c), BadgeMessage(c), hex)
}

// Badge renders a shields.io "flat" badge: label on grey, message on color
// (a CSS colour such as "#4c1"). The widths follow shields.io's layout:
// each text's width is measured with Verdana 11px advance widths, cut to
// whole pixels and rounded up to odd, plus 5px padding each side; the text
// is drawn at ten times the size, scaled by .1, with textLength fixing its
// width so that it fits whatever font the viewer substitutes.
func Badge(label, message, color string) string {
	const pad = 5
	lw := oddWidth(label)
	mw := oddWidth(message)
	left := lw + 2*pad
	right := mw + 2*pad
	total := left + right
	lx := 10 * (1 + pad + float64(lw)/2)
	mx := 10 * (float64(left) - 1 + pad + float64(mw)/2)
	l, m := html.EscapeString(label), html.EscapeString(message)
	title := l + ": " + m
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="20" role="img" aria-label="%s">`, total, title)
	fmt.Fprintf(&b, `<title>%s</title>`, title)
	b.WriteString(`<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`)
	fmt.Fprintf(&b, `<clipPath id="r"><rect width="%d" height="20" rx="3" fill="#fff"/></clipPath>`, total)
	fmt.Fprintf(&b, `<g clip-path="url(#r)"><rect width="%d" height="20" fill="%s"/><rect x="%d" width="%d" height="20" fill="%s"/><rect width="%d" height="20" fill="url(#s)"/></g>`,
		left, colorLabel, left, right, html.EscapeString(color), total)
	b.WriteString(`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">`)
	for _, t := range []struct {
		x    float64
		w    int
		text string
	}{{lx, lw, l}, {mx, mw, m}} {
		fmt.Fprintf(&b, `<text aria-hidden="true" x="%g" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" textLength="%d">%s</text>`, t.x, 10*t.w, t.text)
		fmt.Fprintf(&b, `<text x="%g" y="140" transform="scale(.1)" fill="#fff" textLength="%d">%s</text>`, t.x, 10*t.w, t.text)
	}
	b.WriteString("</g></svg>\n")
	return b.String()
}

// oddWidth is shields.io's preferred width of a text: its Verdana 11px
// width cut to whole pixels, rounded up to an odd number.
func oddWidth(s string) int {
	w := int(math.Floor(TextWidth(s)))
	if w%2 == 0 {
		w++
	}
	return w
}

// TextWidth returns the width in pixels of s in Verdana at 11px: the sum
// of each character's advance width (Verdana's metrics in thousandths of
// an em, times 11px). A character outside the table counts as one em, the
// widest a Verdana glyph usually is, so an unknown text is drawn with room
// to spare rather than clipped.
func TextWidth(s string) float64 {
	var em int
	for _, r := range s {
		em += advance(r)
	}
	return float64(em) * 11 / 1000
}

// advance returns the advance width of r in Verdana in 1/1000 em.
func advance(r rune) int {
	if r >= 0x20 && r <= 0x7e {
		return verdanaASCII[r-0x20]
	}
	switch r {
	case '·':
		return 363
	case '–':
		return 635
	case '—', '→', '←', '≤', '≥':
		return 1000
	case '…':
		return 818
	case '×':
		return 818
	case 'µ':
		return 639
	case '\u00a0':
		return 351
	}
	if r < 0x20 || (r >= 0x7f && r < 0xa0) {
		return 0
	}
	// Latin letters with diacritics are as wide as their base letter.
	if base, ok := latinBase[r]; ok {
		return verdanaASCII[base-0x20]
	}
	return 1000
}

// verdanaASCII holds Verdana's advance widths for U+0020 to U+007E in
// thousandths of an em.
var verdanaASCII = [95]int{
	351, 393, 458, 818, 635, 1076, 726, 268, 454, 454, 635, 818, 363, 454, 363, 454, // space ! " # $ % & ' ( ) * + , - . /
	635, 635, 635, 635, 635, 635, 635, 635, 635, 635, // 0-9
	454, 454, 818, 818, 818, 545, 1000, // : ; < = > ? @
	683, 685, 698, 770, 632, 574, 775, 751, 420, 454, 692, 556, 842, // A-M
	748, 787, 603, 787, 695, 683, 616, 731, 683, 988, 685, 615, 685, // N-Z
	454, 454, 454, 818, 635, 635, // [ \ ] ^ _ `
	600, 623, 520, 623, 595, 351, 623, 632, 274, 344, 591, 274, 972, // a-m
	632, 606, 623, 623, 426, 520, 394, 632, 591, 818, 591, 591, 525, // n-z
	634, 454, 634, 818, // { | } ~
}

// latinBase maps the Latin-1 letters with diacritics to their base letter.
var latinBase = func() map[rune]rune {
	m := map[rune]rune{}
	for base, s := range map[rune]string{
		'A': "ÀÁÂÃÄÅ", 'C': "Ç", 'E': "ÈÉÊË", 'I': "ÌÍÎÏ", 'N': "Ñ", 'O': "ÒÓÔÕÖØ", 'U': "ÙÚÛÜ", 'Y': "Ý",
		'a': "àáâãäå", 'c': "ç", 'e': "èéêë", 'i': "ìíîï", 'n': "ñ", 'o': "òóôõöø", 'u': "ùúûü", 'y': "ýÿ",
	} {
		for _, r := range s {
			m[r] = base
		}
	}
	return m
}()

// Shields is a shields.io endpoint badge: serve badge.json anywhere public
// and point https://img.shields.io/endpoint?url=... at it.
type Shields struct {
	SchemaVersion int    `json:"schemaVersion"`
	Label         string `json:"label"`
	Message       string `json:"message"`
	Color         string `json:"color"`
	IsError       bool   `json:"isError,omitempty"`
}

// ShieldsJSON returns the card's shields.io endpoint JSON, indented, with a
// final newline.
func ShieldsJSON(c *Card) []byte {
	_, name := badgeColor(c.Verdict)
	s := Shields{SchemaVersion: 1, Label: BadgeLabel(c), Message: BadgeMessage(c), Color: name, IsError: c.Verdict != Pass && c.Verdict != Fail}
	b, _ := marshalIndent(s) // cannot fail: strings, an int and a bool
	return b
}
