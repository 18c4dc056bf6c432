package authoring

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTestReport prints r the way go test prints a package: failures
// always, every outcome with verbose, then an ok or FAIL line (with the
// coverage), and with the coverage asked for, a per-file, per-rule table.
// It returns false when r fails: a failing outcome, or coverage below
// threshold (0 disables the threshold).
func WriteTestReport(w io.Writer, r SetResult, verbose bool, threshold float64) bool {
	for _, o := range r.Outcomes {
		writeOutcome(w, o, verbose)
	}
	ok := !r.Failed()
	summary := ""
	if r.Coverage != nil {
		summary = fmt.Sprintf("\tcoverage: %.1f%% of policy lines", r.Coverage.Percent)
		if threshold > 0 && r.Coverage.Percent < threshold {
			fmt.Fprintf(w, "coverage %.1f%% is below the threshold %.1f%%\n", r.Coverage.Percent, threshold)
			ok = false
		}
	}
	switch {
	case len(r.Outcomes) == 0:
		fmt.Fprintf(w, "?   \t%s\t[no tests or decision cases]\n", r.Root)
	case ok:
		fmt.Fprintf(w, "ok  \t%s\t%s%s\n", r.Root, seconds(r.Duration), summary)
	default:
		fmt.Fprintf(w, "FAIL\n%s\t%s\t%s%s\n", "FAIL", r.Root, seconds(r.Duration), summary)
	}
	if r.Coverage != nil {
		writeCoverage(w, r.Coverage)
	}
	return ok
}

func writeOutcome(w io.Writer, o Outcome, verbose bool) {
	status := "PASS"
	switch {
	case o.Skip:
		status = "SKIP"
	case !o.Pass:
		status = "FAIL"
	}
	if status == "PASS" && !verbose {
		return
	}
	if verbose {
		fmt.Fprintf(w, "=== RUN   %s\n", o.Name)
	}
	fmt.Fprintf(w, "--- %s: %s (%s)\n", status, o.Name, seconds(o.Duration))
	for _, m := range o.Messages {
		fmt.Fprintf(w, "    %s: %s\n", o.Location, m)
	}
}

// writeCoverage prints one line per file and, under it, one per rule with
// the lines no test reached.
func writeCoverage(w io.Writer, c *Coverage) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "file / rule\tline\tcoverage\tlines\tnot covered")
	for _, f := range c.Files {
		fmt.Fprintf(tw, "%s\t\t%.1f%%\t%d/%d\t\n", f.File, f.Percent, f.Covered, f.Covered+f.NotCovered)
		for _, rc := range f.Rules {
			fmt.Fprintf(tw, "  %s\t%d\t%.1f%%\t%d/%d\t%s\n", rc.Rule, rc.Line, rc.Percent,
				rc.Covered, rc.Covered+rc.NotCovered, rows(rc.Uncovered))
		}
	}
	fmt.Fprintf(tw, "total\t\t%.1f%%\t%d/%d\t\n", c.Percent, c.Covered, c.Covered+c.NotCovered)
	tw.Flush()
}

func rows(rs []int) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = fmt.Sprint(r)
	}
	return strings.Join(s, ",")
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%.3fs", d.Seconds())
}
