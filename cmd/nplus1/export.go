package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nplus1/nplus1/reports"
	"github.com/spf13/cobra"
)

// ExportOptions are the inputs of `nplus1 export`.
type ExportOptions struct {
	IO IOStreams

	Paths  []string
	Out    string
	Format string
	Title  string
	Name   string // the learner's name, on the page
	Link   string // where their code is
	Each   bool   // an entry per card rather than per challenge
	Key    string // public key to verify signed cards with (base64 or file)
}

// NewCmdExport builds `nplus1 export`. runF replaces runExport in tests.
func NewCmdExport(f *Factory, runF func(context.Context, *ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "export [CARD or DIR ...]",
		Short: "Export the best card of each challenge as a portfolio page",
		Long: `Export a portfolio: one card of each challenge in each language, the latest
that passed (or the latest, where none did), from result.json files given as arguments or
found under directories (default: nplus1-results), the cards kept in each
card directory's history/ too. A later failed try does not hide a pass.
With --each, an entry per card directory: its latest card.

The format follows the output's extension, or --format:
  html  one self-contained page: inline CSS and SVG charts, no scripts, nothing
        fetched from elsewhere; reads on a phone
  md    Markdown for a GitHub profile README
  json  the same summary as data

-o - writes to standard output.

A signed card's entry says who signed it. With --key, each signature is
verified against that public key; without it, only that the card's content
is what was signed. A card edited after signing is marked so, either way.`,
		Example: `  # A page from every card under results/
  nplus1 export results/ -o portfolio.html

  # With your name and a link to your code
  nplus1 export results/ --name "Ada Lovelace" --link https://example.com/ada/nplus1 -o portfolio.html

  # Markdown for a profile README, from two cards
  nplus1 export a/result.json b/result.json -o portfolio.md

  # The summary as JSON on standard output
  nplus1 export results/ --format json -o -

  # A class's table: every card under cards/ (e.g. merged from CI shards)
  nplus1 export cards/ --each -o class.md

  # Signed cards, their signatures verified
  nplus1 export results/ --key nplus1.key.pub -o portfolio.html`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			if len(opts.Paths) == 0 {
				if _, err := os.Stat(defaultOut); errors.Is(err, fs.ErrNotExist) {
					return usageError("no cards to export: there is no %s here, where nplus1 grade writes them; run export where you graded, or name the directories or result.json files that hold cards (nplus1 export DIR...)", defaultOut)
				}
				opts.Paths = []string{defaultOut}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runExport(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Out, "output", "o", "portfolio.html", "file to write (- for standard output)")
	fl.StringVar(&opts.Format, "format", "", "html, md or json (default: from the output's extension)")
	fl.StringVar(&opts.Title, "title", "N+1 fixes", "title of the page")
	fl.StringVar(&opts.Name, "name", "", "your name, shown under the title")
	fl.StringVar(&opts.Link, "link", "", "where your code is (a URL), linked under the title")
	fl.StringVar(&opts.Key, "key", "", "public key (base64 or a .pub file) to verify the signed cards' signatures with")
	fl.BoolVar(&opts.Each, "each", false, "an entry per card, naming its solution (a batch's or a class's cards, e.g. merged from CI shards), instead of the best card of each challenge")
	return cmd
}

// distinctCards drops the copies of a card: the latest card of a card
// directory is also in its history, and a card may be given twice.
func distinctCards(cards []*reports.Card) []*reports.Card {
	type key struct {
		at                               time.Time
		path, digest, challenge, verdict string
	}
	seen := map[key]bool{}
	var out []*reports.Card
	for _, c := range cards {
		k := key{c.GradedAt.UTC(), c.Solution.Path, c.Solution.Digest, c.Challenge.ID, c.Verdict}
		if !seen[k] {
			seen[k] = true
			out = append(out, c)
		}
	}
	return out
}

// countNamed counts the cards that name their challenge.
func countNamed(cards []*reports.Card) int {
	n := 0
	for _, c := range cards {
		if c.Challenge.ID != "" {
			n++
		}
	}
	return n
}

// exportFormat picks the format from --format or the output's extension.
func (o *ExportOptions) exportFormat() (string, error) {
	f := strings.ToLower(o.Format)
	if f == "" {
		switch strings.ToLower(filepath.Ext(o.Out)) {
		case ".html", ".htm":
			f = "html"
		case ".md", ".markdown":
			f = "md"
		case ".json":
			f = "json"
		default:
			return "", usageError("cannot tell the format of %q: name it .html, .md or .json, or pass --format", o.Out)
		}
	}
	switch f {
	case "html", "md", "json":
		return f, nil
	case "markdown":
		return "md", nil
	}
	return "", usageError("--format %q: use html, md or json", o.Format)
}

func runExport(_ context.Context, opts *ExportOptions) error {
	format, err := opts.exportFormat()
	if err != nil {
		return err
	}
	var key ed25519.PublicKey
	if opts.Key != "" {
		if key, err = reports.LoadPublicKey(opts.Key); err != nil {
			return usageError("--key: %v", err)
		}
	}
	// A class's table shows each solution's latest card; a portfolio the
	// best of every card, those kept in the card directories' histories too.
	load := reports.LoadCards
	if opts.Each {
		load = reports.LoadLatestCards
	}
	cards, err := load(opts.Paths...)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	cards = distinctCards(cards)
	entries := cards
	if !opts.Each {
		entries = reports.Best(cards)
	}
	p := reports.NewPortfolio(entries, reports.PortfolioOptions{Title: opts.Title, Name: opts.Name, Link: opts.Link, Version: Version(), EachCard: opts.Each, Key: key})
	var out []byte
	switch format {
	case "html":
		out, err = p.HTML()
	case "md":
		out = []byte(p.Markdown())
	case "json":
		out, err = p.JSON()
	}
	if err != nil {
		return err
	}
	if opts.Out == "-" {
		_, err := opts.IO.Out.Write(out)
		return err
	}
	if dir := filepath.Dir(opts.Out); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return writeError(fmt.Errorf("export: %w", err))
		}
	}
	if err := os.WriteFile(opts.Out, out, 0o644); err != nil {
		return writeError(fmt.Errorf("export: %w", err))
	}
	if p.EachCard {
		fmt.Fprintf(opts.IO.Out, "%s: %s (%d passed)\n", opts.Out, reports.Count(p.Solutions, "solution"), p.Passed)
	} else {
		fmt.Fprintf(opts.IO.Out, "%s: %s (%d passed) from %s\n", opts.Out, reports.Count(p.Challenges, "challenge"), p.Passed, reports.Count(len(cards), "card"))
		if left := len(cards) - countNamed(cards); left > 0 {
			fmt.Fprintf(opts.IO.Out, "left out %s naming no challenge (their solutions could not be set up); --each lists them\n", reports.Count(left, "card"))
		}
	}
	return nil
}
