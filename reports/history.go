package reports

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// HistoryDir is the directory of a card directory that keeps a copy of
// every card written there (see Card.Keep), so a later grade never hides an
// earlier one: each in history/<time>-<verdict>/, the time the grade began
// in UTC, to the millisecond, as 20261124T173700.123Z.
const HistoryDir = "history"

// HistoryKeep is how many cards a history keeps at least: the most recent
// ones, and besides them the most recent pass, however old.
const HistoryKeep = 20

// historyTime is the layout of the time that starts a history entry's name.
const historyTime = "20060102T150405.000Z"

// Keep writes the card to dir as the latest (result.json, result.md,
// badge.svg, badge.json and timeline.svg, see Write; an earlier grade's
// timeline.svg is removed when this one has none) and a copy of it under
// dir/history/<graded at>-<verdict>/, then prunes the history to its
// HistoryKeep most recent cards and the most recent pass. It returns the
// copy's directory.
func (c *Card) Keep(dir string) (string, error) {
	if err := c.Write(dir); err != nil {
		return "", err
	}
	if !HasTimeline(c) { // an earlier grade's picture is not this one's
		if err := os.Remove(filepath.Join(dir, TimelineFile)); err != nil && !os.IsNotExist(err) {
			return "", fmt.Errorf("write card: %w", err)
		}
	}
	hist := filepath.Join(dir, HistoryDir)
	name := c.GradedAt.UTC().Format(historyTime) + "-" + c.Verdict
	entry := filepath.Join(hist, name)
	for n := 2; ; n++ { // two grades begun in one millisecond
		if _, err := os.Lstat(entry); os.IsNotExist(err) {
			break
		}
		entry = filepath.Join(hist, fmt.Sprintf("%s-%d", name, n))
	}
	if err := c.Write(entry); err != nil {
		return "", fmt.Errorf("keep the card in %s: %w", hist, err)
	}
	pruneHistory(hist)
	return entry, nil
}

// historyEntry is one card kept in a history directory.
type historyEntry struct {
	name    string
	verdict string
}

// readHistory lists the cards kept in a history directory, oldest first.
// Entries nplus1 did not name are left out (and left alone).
func readHistory(hist string) []historyEntry {
	des, err := os.ReadDir(hist)
	if err != nil {
		return nil
	}
	var out []historyEntry
	for _, de := range des {
		parts := strings.Split(de.Name(), "-")
		if !de.IsDir() || len(parts) < 2 || len(parts[0]) != len(historyTime) {
			continue
		}
		switch parts[1] {
		case Pass, Fail, Error:
			out = append(out, historyEntry{de.Name(), parts[1]})
		}
	}
	// The names start with the time, so they sort by it.
	slices.SortFunc(out, func(a, b historyEntry) int { return strings.Compare(a.name, b.name) })
	return out
}

// pruneHistory removes all but the HistoryKeep most recent cards of a
// history and its most recent pass.
func pruneHistory(hist string) {
	entries := readHistory(hist)
	if len(entries) <= HistoryKeep {
		return
	}
	lastPass := ""
	for _, e := range entries {
		if e.verdict == Pass {
			lastPass = e.name
		}
	}
	for _, e := range entries[:len(entries)-HistoryKeep] {
		if e.name != lastPass {
			os.RemoveAll(filepath.Join(hist, e.name))
		}
	}
}

// LatestPass returns the directory of the most recent passing card kept in
// the history of the card directory dir, or "" if none passed.
func LatestPass(dir string) string {
	hist := filepath.Join(dir, HistoryDir)
	entries := readHistory(hist)
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].verdict == Pass {
			return filepath.Join(hist, entries[i].name)
		}
	}
	return ""
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
