package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/recordfmt"
)

// printer writes entries in one of the --format formats.
type printer struct {
	format string
	w      io.Writer
	tab    *tabwriter.Writer
	csv    *csv.Writer
	header bool
}

func newPrinter(w io.Writer, format string) *printer {
	p := &printer{format: format, w: w}
	switch format {
	case "table":
		p.tab = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	case "csv":
		p.csv = csv.NewWriter(w)
	}
	return p
}

const tableHeader = "TIME\tDECISION ID\tSUBJECT\tACTION\tRESOURCE\tALLOW\tREASONS\tREVISION"

var csvHeader = recordfmt.CSVHeader

func (p *printer) print(e audit.Entry) error {
	switch p.format {
	case "json":
		return p.printJSON(e)
	case "csv":
		if !p.header {
			p.header = true
			_ = p.csv.Write(csvHeader)
		}
		return p.csv.Write(csvRow(e))
	}
	if !p.header {
		p.header = true
		fmt.Fprintln(p.tab, tableHeader)
	}
	_, err := fmt.Fprintf(p.tab, "%s\t%s\t%s:%s\t%s\t%s:%s\t%t\t%s\t%s\n", e.Time.UTC().Format("2006-01-02T15:04:05.000Z"),
		e.DecisionID, e.SubjectType, e.SubjectID, e.Action, e.ResourceType, e.ResourceID, e.Allow,
		strings.Join(e.Reasons, ","), e.BundleRevision)
	return err
}

// none reports a result without records: the csv header, "0 records"
// under the table's header, or, for JSON Lines (where a line is a record),
// "0 records" on stderr.
func (p *printer) none(stderr io.Writer) {
	switch p.format {
	case "csv":
		_ = p.csv.Write(csvHeader)
	case "table":
		fmt.Fprintln(p.tab, tableHeader)
		fmt.Fprintln(p.tab, "0 records")
	default:
		fmt.Fprintln(stderr, "0 records")
	}
}

func (p *printer) flush() error {
	switch {
	case p.tab != nil:
		return p.tab.Flush()
	case p.csv != nil:
		p.csv.Flush()
		return p.csv.Error()
	}
	return nil
}

// toJSONRecord is one line of --format json.
func toJSONRecord(e audit.Entry) recordfmt.Record { return recordfmt.JSON(e) }

func (p *printer) printJSON(e audit.Entry) error {
	enc := json.NewEncoder(p.w)
	enc.SetEscapeHTML(false)
	return enc.Encode(toJSONRecord(e))
}

func csvRow(e audit.Entry) []string { return recordfmt.CSVRow(e) }

// printDetail prints one record field by field (show --format table).
func printDetail(w io.Writer, e audit.Entry) error {
	r := toJSONRecord(e)
	input, _ := json.MarshalIndent(e.Input, "  ", "  ")
	obligations, _ := json.Marshal(e.Obligations)
	_, err := fmt.Fprintf(w, "decision_id:     %s\nseq:             %d\ntime:            %s\ncaller:          %s\n"+
		"subject:         %s:%s\nresource:        %s:%s\naction:          %s\nallow:           %t\nreasons:         %s\n"+
		"obligations:     %s\nbundle_revision: %s\nbundle_digest:   %s\nentrypoint:      %s\ncache_hit:       %t\nlatency_us:      %d\n"+
		"error:           %s\nmasked:          %s\nmask_error:      %t\ntrace_id:        %s\nprev_hash:       %s\nhash:            %s\ninput:\n  %s\n",
		e.DecisionID, e.Seq, r.Time, e.Caller, e.SubjectType, e.SubjectID, e.ResourceType, e.ResourceID, e.Action,
		e.Allow, strings.Join(r.Reasons, ", "), obligations, e.BundleRevision, e.BundleDigest, e.Entrypoint, e.CacheHit,
		r.LatencyUS, e.Error, strings.Join(r.Masked, ", "), e.MaskError, e.TraceID, e.PrevHash, e.Hash, input)
	if err == nil && e.Instance != "" {
		_, err = fmt.Fprintf(w, "instance:        %s\n", e.Instance)
	}
	if err != nil || e.Kind == "" {
		return err
	}
	plan, _ := json.MarshalIndent(e.Plan, "  ", "  ")
	_, err = fmt.Fprintf(w, "kind:            %s\nplan:\n  %s\n", e.Kind, plan)
	return err
}

// printReport prints the outcome of verify.
func printReport(w io.Writer, format string, rep audit.Report) error {
	if format == "json" {
		return json.NewEncoder(w).Encode(rep)
	}
	if rep.Break != nil {
		_, err := fmt.Fprintf(w, "BROKEN at %v\nverified before the break: %d records, %d checkpoints\n",
			rep.Break, rep.Records, rep.Checkpoints)
		return err
	}
	verdict := "OK"
	if rep.Records == 0 || rep.Checkpoints == 0 {
		verdict = "NOTHING PROVEN"
	}
	_, err := fmt.Fprintf(w, "%s: %s (seq %d..%d), %s\n",
		verdict, count(rep.Records, "record"), rep.FirstSeq, rep.LastSeq, count(int64(rep.Checkpoints), "signed checkpoint"))
	return err
}

// count writes n things, in the singular when n is 1.
func count(n int64, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
