// Package reports holds the result card, the versioned record of one grade,
// and renders it: result.json, result.md, the terminal summary, the badge
// (SVG and shields.io endpoint JSON), the CI formats (JUnit, Gradescope,
// GitHub Classroom, the step summary), the portfolio export, and the
// ed25519 signature over a canonical encoding of the card.
//
// The card is a plain value. The grader fills it; nothing here runs a grade.
package reports

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// SchemaVersion is the version of the card's JSON layout. It changes when a
// field changes meaning or is removed; adding a field does not change it.
const SchemaVersion = 1

// Verdicts and check statuses.
const (
	Pass    = "pass"
	Fail    = "fail"    // the learner's code did not meet the challenge
	Error   = "error"   // the grader or the machine failed; nothing is said of the code
	Skipped = "skipped" // a check that could not run because an earlier step failed
)

// Card is the result of one grade.
type Card struct {
	SchemaVersion int         `json:"schema_version"`
	Tool          Tool        `json:"tool"`
	GradedAt      time.Time   `json:"graded_at"`
	Challenge     Challenge   `json:"challenge"`
	Solution      Solution    `json:"solution"`
	Environment   Environment `json:"environment"`
	// Verdict is "pass" when every check passed, "fail" when one failed
	// (the learner's code) and "error" when the grade could not be made.
	Verdict string `json:"verdict"`
	// Error says what went wrong when Verdict is "error".
	Error  string  `json:"error,omitempty"`
	Checks []Check `json:"checks"`
	// Metrics are measured on the solution; nil when it never answered.
	Metrics *Metrics `json:"metrics,omitempty"`
	// Shapes are the statements of the request that made the most data
	// statements, grouped by shape, most frequent first.
	Shapes   []Shape   `json:"shapes,omitempty"`
	Findings []Finding `json:"findings,omitempty"`
	// Overhead are the statements of the measured requests (warm-up and
	// timed) that read only the system catalogs, by shape: an ORM's or a
	// driver's look at the server (ActiveRecord's column lookups,
	// SQLAlchemy's version probe). Listed apart, never an N+1, never
	// counted against the limit.
	Overhead []Shape `json:"overhead,omitempty"`
	// Baseline is the challenge's broken starter measured in the same run
	// under the same conditions, for the before → after figures; nil with
	// --no-baseline or when it could not be measured.
	Baseline *Baseline `json:"baseline,omitempty"`
	// Phases are the wall times of the grade's phases, in order.
	Phases []Phase `json:"phases,omitempty"`
	// Reproduce is the command that grades the solution again under the
	// same conditions (see Reproduce): the challenge as it was named, the
	// seed, and the size, RTT and request count where they were not the
	// challenge's own; absent on a card made before any of it was known.
	Reproduce []string `json:"reproduce,omitempty"`
	// Output is the tail of the solution's own output (stdout and stderr),
	// kept when the solution failed to build, start or answer right.
	Output string `json:"output,omitempty"`
	// Technique names how the solution fetches its data, read from its own
	// statements (see Technique): "JOIN", "batched ANY", "LATERAL join,
	// JSON aggregation", ...; empty when no data statement was seen.
	Technique string `json:"technique,omitempty"`
	// PortfolioLine is one sentence a learner can put on a CV or a README,
	// written from the measurement (see PortfolioLine).
	PortfolioLine string `json:"portfolio_line,omitempty"`
	// Signature is set by Sign when the card is signed; nil otherwise.
	Signature *Signature `json:"signature,omitempty"`

	// source is the file ReadCard read the card from, for checking its
	// signature (see signatureCheck); nil for a card made in memory.
	source []byte
}

// Phase is how long one phase of the grade took: build, postgres, seed,
// start, measure, fresh, scaling, baseline.
type Phase struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// Tool names the grader that made the card.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Challenge identifies what was graded against.
type Challenge struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Digest is a sha256 over the challenge's files.
	Digest string `json:"digest"`
	// Limits as in force for this grade.
	MaxStatements int     `json:"max_statements"`
	P95BudgetMS   float64 `json:"p95_budget_ms"`
}

// Solution identifies what was graded.
type Solution struct {
	Path     string `json:"path"`
	Language string `json:"language,omitempty"`
	// Digest is a sha256 over the solution's files (paths and contents).
	Digest string `json:"digest"`
	// Idioms are the ORM eager-loading calls found in the solution's code
	// ("select_related", "Preload", "includes"...), comments and strings
	// aside: how the fix was written, beside the technique its statements
	// show.
	Idioms []string `json:"idioms,omitempty"`
}

// Environment records what a rerun needs to reproduce the grade.
type Environment struct {
	PostgresVersion string  `json:"postgres_version,omitempty"`
	Provider        string  `json:"provider"`
	RTTMS           float64 `json:"rtt_ms"`
	Seed            int64   `json:"seed"`
	Size            int     `json:"size"`
	// DataDigest is a sha256 over every row the seed made at Size: the same
	// seed gives the same digest on the same PostgreSQL major version.
	DataDigest string `json:"data_digest,omitempty"`
	// MemoryLimitBytes is the resident memory the solution's processes
	// could use together; absent when there was no limit (or the system
	// cannot measure it).
	MemoryLimitBytes int64 `json:"memory_limit_bytes,omitempty"`
	// Sandbox is how the solution was isolated from the grader and the
	// machine: "namespaces (...)", or "none (why)" when it ran as the
	// grader, so nothing stopped it from reaching the database another
	// way. Absent on cards made before sandboxes.
	Sandbox string `json:"sandbox,omitempty"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

// Check is one graded property.
type Check struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	// Value and Limit are the measured figure and the bound it must meet,
	// in Unit; absent for checks that are not numeric.
	Value   *float64 `json:"value,omitempty"`
	Limit   *float64 `json:"limit,omitempty"`
	Unit    string   `json:"unit,omitempty"`
	Message string   `json:"message"`
}

// Metrics are the measured figures.
type Metrics struct {
	// Statements is the most data statements any request made.
	Statements int `json:"statements"`
	// ControlStatements is the most control statements (BEGIN, SET, empty
	// pings, ...) any request made; counted apart as overhead.
	ControlStatements int `json:"control_statements"`
	// CatalogStatements is the most statements reading only the system
	// catalogs any request made (driver overhead, Card.Overhead): neither
	// data nor control statements, never counted against the limit.
	CatalogStatements int `json:"catalog_statements,omitempty"`
	// RoundTrips is the most round trips any request made; PrepareOnly of
	// them executed nothing (a driver preparing statements).
	RoundTrips            int `json:"round_trips"`
	PrepareOnlyRoundTrips int `json:"prepare_only_round_trips"`
	// Requests is how many requests were sent (warm-up included); Timed of
	// them make the latency figures.
	Requests int       `json:"requests"`
	Timed    int       `json:"timed"`
	Latency  LatencyMS `json:"latency_ms"`
	// Scaling holds the data statements per request at each data size
	// measured; the count must not grow with the data.
	Scaling []SizeStatements `json:"scaling,omitempty"`
	// Timeline is the busiest timed request's statements on a time axis.
	Timeline *Timeline `json:"timeline,omitempty"`
}

// SizeStatements is the most data statements one request made at one size.
type SizeStatements struct {
	Size       int `json:"size"`
	Statements int `json:"statements"`
}

// Baseline is the starter's measurement.
type Baseline struct {
	Language string  `json:"language"`
	Metrics  Metrics `json:"metrics"`
	// Findings are the starter's N+1 findings, so the card can say what
	// the solution replaced ("the per-order user lookup").
	Findings []Finding `json:"findings,omitempty"`
}

// LatencyMS are request latencies in milliseconds at the simulated RTT.
type LatencyMS struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	Max float64 `json:"max"`
}

// Shape is one statement shape and how often one request ran it.
type Shape struct {
	// Fingerprint groups statements that differ only in their values,
	// including the form of a list of keys (= 1, IN (...), = ANY($1)).
	Fingerprint string `json:"fingerprint"`
	// Normalized is the group's first statement as written, its values
	// as "?" and a value list as its length: "... where id in (...10)",
	// "... where id = any(?)". Example is its SQL as sent.
	Normalized string `json:"normalized"`
	Example    string `json:"example"`
	Count      int    `json:"count"`
	Rows       int64  `json:"rows"`
	Data       bool   `json:"data"`
	NPlusOne   bool   `json:"n_plus_one"`
	// Catalog is set when the statements read only the system catalogs:
	// driver overhead, not counted.
	Catalog bool `json:"catalog,omitempty"`
}

// Finding is a diagnosis: an N+1 statement shape and where it came from.
type Finding struct {
	Kind        string `json:"kind"` // "n+1"
	Fingerprint string `json:"fingerprint"`
	Normalized  string `json:"normalized"`
	Count       int    `json:"count"`
	// Source is the earlier multi-row statement whose rows fed the repeats.
	Source     string `json:"source,omitempty"`
	SourceRows int64  `json:"source_rows,omitempty"`
	Message    string `json:"message"`
}

// Check returns the named check, or nil.
func (c *Card) Check(name string) *Check {
	for i := range c.Checks {
		if c.Checks[i].Name == name {
			return &c.Checks[i]
		}
	}
	return nil
}

// Decide sets the verdict from the checks: error if any errored (with the
// first errored check as the card's error, if it has none), else fail if
// any failed, else pass. A card already marked "error" stays so.
func (c *Card) Decide() {
	if c.Verdict == Error {
		return
	}
	c.Verdict = Pass
	for _, ch := range c.Checks {
		switch ch.Status {
		case Error:
			c.Verdict = Error
			if c.Error == "" { // "see error", says the card's reader
				c.Error = fmt.Sprintf("the %s check could not be made: %s", ch.Name, ch.Message)
			}
			return
		case Fail:
			c.Verdict = Fail
		}
	}
}

// Write writes result.json, result.md, badge.svg and badge.json (the
// shields.io endpoint) into dir, creating it. Call Annotate (and Sign)
// before: Write renders the card as it is.
func (c *Card) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write card: %w", err)
	}
	js, err := EncodeJSON(c)
	if err != nil {
		return fmt.Errorf("write card: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "result.json"), js, 0o644); err != nil {
		return fmt.Errorf("write card: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "result.md"), []byte(Markdown(c)), 0o644); err != nil {
		return fmt.Errorf("write card: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "badge.svg"), []byte(BadgeSVG(c)), 0o644); err != nil {
		return fmt.Errorf("write card: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "badge.json"), ShieldsJSON(c), 0o644); err != nil {
		return fmt.Errorf("write card: %w", err)
	}
	if HasTimeline(c) {
		if err := os.WriteFile(filepath.Join(dir, TimelineFile), []byte(CardTimelineSVG(c)), 0o644); err != nil {
			return fmt.Errorf("write card: %w", err)
		}
	}
	return nil
}

// EncodeJSON returns the card as result.json holds it: indented JSON and a
// final newline. Verify expects a signed card in exactly this form.
func EncodeJSON(c *Card) ([]byte, error) {
	js, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode card: %w", err)
	}
	return append(js, '\n'), nil
}

// ReadCard reads a result.json.
func ReadCard(path string) (*Card, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read card: %w", err)
	}
	var c Card
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("read card %s: %w", path, err)
	}
	c.source = b
	return &c, nil
}

// Float returns a pointer to v, for Check.Value and Check.Limit.
func Float(v float64) *float64 { return &v }
