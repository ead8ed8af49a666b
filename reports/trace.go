package reports

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nplus1/nplus1/grader/proxy"
)

// Trace is what `nplus1 trace` found of a command: its statements cut into
// bursts of activity, by shape, and the findings of each burst. Write
// prints it; it is written as JSON as it is.
type Trace struct {
	Command     []string          `json:"command"`
	ExitCode    int               `json:"exit_code"`
	Interrupted bool              `json:"interrupted"`
	ElapsedMS   float64           `json:"elapsed_ms"`
	Connections int               `json:"connections"`
	GapMS       float64           `json:"gap_ms"`
	Statements  []proxy.Statement `json:"statements"`
	RoundTrips  []proxy.RoundTrip `json:"round_trips"`
	Bursts      []TraceBurst      `json:"bursts"`
	Shapes      []TraceShape      `json:"shapes"`
	Problems    []string          `json:"problems,omitempty"`
	// URL is where a server that reads PORT serves (the challenge's
	// endpoint on it, with a challenge); "" when PORT was the caller's.
	URL string `json:"url,omitempty"`
}

// TraceBurst is one burst of activity and what was found in it.
type TraceBurst struct {
	First    int       `json:"first_seq"` // Seq of its first statement
	Count    int       `json:"statements"`
	Findings []Finding `json:"findings,omitempty"`
	// Statements are the burst's, and Listing their timeline as a card
	// shows a request's.
	Statements []proxy.Statement `json:"-"`
	Listing    string            `json:"-"`
}

// TraceShape is one statement shape over the whole run.
type TraceShape struct {
	Shape
	TotalMS float64 `json:"total_ms"`
	MeanMS  float64 `json:"mean_ms"`
}

// Millis is d in milliseconds, to the microsecond, as a trace says times.
func Millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Write prints the trace: a summary, the timeline of each burst (every
// statement, with its time, connection and rows, when verbose), the table
// by shape, the findings and any protocol problems.
func (r *Trace) Write(w io.Writer, verbose bool) {
	data, catalog := 0, 0
	for _, s := range r.Statements {
		switch {
		case s.Data:
			data++
		case s.Catalog:
			catalog++
		}
	}
	how := fmt.Sprintf("exited %d", r.ExitCode)
	if r.Interrupted {
		how = fmt.Sprintf("was interrupted (exit %d)", r.ExitCode)
	}
	fmt.Fprintf(w, "\nnplus1 trace: `%s` %s after %s\n", ShellWords(r.Command), how, time.Duration(r.ElapsedMS*1e6).Round(time.Millisecond))
	overhead := ""
	if catalog > 0 {
		overhead = fmt.Sprintf(", %d driver overhead reading only the system catalogs", catalog)
	}
	fmt.Fprintf(w, "%s (%d data, %d control%s) in %s on %s, %s of activity\n",
		Count(len(r.Statements), "statement"), data, len(r.Statements)-data-catalog, overhead, Count(len(r.RoundTrips), "round trip"),
		Count(r.Connections, "connection"), Count(len(r.Bursts), "burst"))
	if note := r.nothingNote(data); note != "" {
		fmt.Fprintln(w, note)
	}
	var t0 time.Time
	if len(r.Statements) > 0 {
		t0 = r.Statements[0].Start
	}
	for i, b := range r.Bursts {
		last := b.Statements[len(b.Statements)-1]
		fmt.Fprintf(w, "\n== burst %d: at +%.3fs, %s\n", i+1, b.Statements[0].Start.Sub(t0).Seconds(),
			roundDuration(last.Start.Add(last.Duration).Sub(b.Statements[0].Start)))
		if verbose {
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SEQ\tAT\tCONN\tMS\tROWS\tSTATEMENT")
			for _, s := range b.Statements {
				sql := strings.Join(strings.Fields(s.SQL), " ")
				if s.Error != "" {
					sql += "  -- error " + s.Error
				}
				fmt.Fprintf(tw, "%d\t+%.3fs\t%d\t%.2f\t%d\t%s\n", s.Seq, s.Start.Sub(t0).Seconds(), s.Conn, Millis(s.Duration), s.Rows, sql)
			}
			tw.Flush()
		} else {
			fmt.Fprint(w, b.Listing)
		}
	}
	if len(r.Shapes) > 0 {
		fmt.Fprintln(w, "\n== statements by shape")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "COUNT\tTOTAL MS\tMEAN MS\tROWS\tN+1\tSTATEMENT")
		for _, s := range r.Shapes {
			flag := ""
			if s.NPlusOne {
				flag = "N+1"
			}
			fmt.Fprintf(tw, "%d\t%.2f\t%.3f\t%d\t%s\t%s\n", s.Count, s.TotalMS, s.MeanMS, s.Rows, flag, s.Example)
		}
		tw.Flush()
	}
	for i, b := range r.Bursts {
		for _, f := range b.Findings {
			fmt.Fprintf(w, "\n%s (burst %d): %s\n", strings.ToUpper(f.Kind), i+1, f.Message)
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "\nprotocol: %s\n", p)
	}
}

// nothingNote says plainly why a trace shows nothing to look at: no
// connection, a connection but no statement, or only control statements,
// and, when it may be a server that was sent no request, to send some;
// "" when data statements ran.
func (r *Trace) nothingNote(data int) string {
	send := "A server runs its SQL when it gets requests: send some while nplus1 trace runs"
	if r.URL != "" {
		send += fmt.Sprintf(" (e.g. curl %s)", r.URL)
	}
	send += ", then press Ctrl-C."
	switch {
	case len(r.Statements) == 0 && r.Connections == 0:
		start := "did the program start (its output is above)? It must read DATABASE_URL or the PG* variables."
		if r.Interrupted { // a server stopped with Ctrl-C: was it sent a request?
			return "No SQL reached the proxy, and no connection was made. " + send + " Else, " + start
		}
		return "No SQL reached the proxy, and no connection was made: " + start
	case len(r.Statements) == 0:
		return fmt.Sprintf("No SQL reached the proxy: the program connected (%s) but sent no statement. %s", Count(r.Connections, "connection"), send)
	case data == 0:
		var names []string
		for _, s := range r.Shapes {
			names = append(names, s.Normalized)
		}
		return fmt.Sprintf("No data statement ran, only %s (%s): nothing read the data. %s",
			Count(len(r.Statements), "control statement"), strings.Join(names, ", "), send)
	}
	return ""
}

// roundDuration rounds d for reading: to 10µs below a millisecond (a short
// burst is not "0s"), to the millisecond above.
func roundDuration(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}
