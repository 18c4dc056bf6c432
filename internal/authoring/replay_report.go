package authoring

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteReplaySummary prints the counts of a replay in two lines.
func WriteReplaySummary(w io.Writer, rep ReplayReport) {
	fmt.Fprintf(w, "candidate %s: %d records, %d replayed, %d changed, %d unchanged, %d not replayable%s\n",
		rep.Candidate, rep.Records, rep.Replayed, rep.Changed, rep.Unchanged, sum(rep.NotReplayable), counts(rep.NotReplayable))
	if rep.Changed > 0 {
		fmt.Fprintf(w, "changes%s\n", counts(rep.Kinds))
	}
}

// WriteReplayTable prints the summary and a table of at most limit changed
// decisions (0: all), newest first.
func WriteReplayTable(w io.Writer, rep ReplayReport, limit int) error {
	WriteReplaySummary(w, rep)
	if len(rep.Changes) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DECISION_ID\tTIME\tSUBJECT\tACTION\tRESOURCE\tOLD\tNEW\tCHANGED")
	for i, c := range rep.Changes {
		if limit > 0 && i == limit {
			fmt.Fprintf(tw, "... %d more\n", len(rep.Changes)-limit)
			break
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.DecisionID, c.Time, c.Subject, c.Action,
			c.Resource, verdict(c.Old), verdict(c.New), strings.Join(c.Kinds, ","))
	}
	return tw.Flush()
}

// WriteReplayJSON prints one changed decision per line (JSON Lines).
func WriteReplayJSON(w io.Writer, rep ReplayReport) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, c := range rep.Changes {
		if err := enc.Encode(c); err != nil {
			return err
		}
	}
	return nil
}

func verdict(v Verdict) string {
	out := "deny"
	if v.Allow {
		out = "allow"
	}
	return out + " " + strings.Join(v.Reasons, ";")
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
