package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/pdp-project/pdp/internal/audit"
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

var csvHeader = []string{"seq", "decision_id", "time", "caller", "subject_type", "subject_id", "resource_type",
	"resource_id", "action", "allow", "reasons", "bundle_revision", "entrypoint", "cache_hit", "latency_us",
	"error", "masked", "mask_error", "input", "obligations", "hash", "trace_id", "bundle_digest", "kind", "plan", "instance"}

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

// jsonRecord is one line of --format json.
type jsonRecord struct {
	Seq            int64          `json:"seq"`
	DecisionID     string         `json:"decision_id"`
	Time           string         `json:"time"`
	Caller         string         `json:"caller"`
	Subject        typedID        `json:"subject"`
	Resource       typedID        `json:"resource"`
	Action         string         `json:"action"`
	Allow          bool           `json:"allow"`
	Reasons        []string       `json:"reasons"`
	Obligations    map[string]any `json:"obligations"`
	BundleRevision string         `json:"bundle_revision"`
	BundleDigest   string         `json:"bundle_digest"`
	Entrypoint     string         `json:"entrypoint"`
	CacheHit       bool           `json:"cache_hit"`
	LatencyUS      int64          `json:"latency_us"`
	Error          string         `json:"error"`
	Input          map[string]any `json:"input"`
	Masked         []string       `json:"masked"`
	MaskError      bool           `json:"mask_error"`
	PrevHash       string         `json:"prev_hash"`
	Hash           string         `json:"hash"`
	TraceID        string         `json:"trace_id"`
	// Kind and Plan are set only on a resource plan's record.
	Kind string         `json:"kind,omitempty"`
	Plan map[string]any `json:"plan,omitempty"`
	// Instance is the replica whose chain holds the record (--audit-url).
	Instance string `json:"instance,omitempty"`
}

type typedID struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

func toJSONRecord(e audit.Entry) jsonRecord {
	reasons, masked := e.Reasons, e.Masked
	if reasons == nil {
		reasons = []string{}
	}
	if masked == nil {
		masked = []string{}
	}
	return jsonRecord{Seq: e.Seq, DecisionID: e.DecisionID, Time: e.Time.UTC().Format(audit.TimeFormat),
		Caller: e.Caller, Subject: typedID{e.SubjectType, e.SubjectID}, Resource: typedID{e.ResourceType, e.ResourceID},
		Action: e.Action, Allow: e.Allow, Reasons: reasons, Obligations: e.Obligations, BundleRevision: e.BundleRevision,
		BundleDigest: e.BundleDigest, Entrypoint: e.Entrypoint, CacheHit: e.CacheHit, LatencyUS: e.Latency.Microseconds(), Error: e.Error,
		Input: e.Input, Masked: masked, MaskError: e.MaskError, PrevHash: e.PrevHash, Hash: e.Hash, TraceID: e.TraceID,
		Kind: e.Kind, Plan: e.Plan, Instance: e.Instance}
}

func (p *printer) printJSON(e audit.Entry) error {
	enc := json.NewEncoder(p.w)
	enc.SetEscapeHTML(false)
	return enc.Encode(toJSONRecord(e))
}

func csvRow(e audit.Entry) []string {
	j := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	r := toJSONRecord(e)
	plan := ""
	if e.Plan != nil {
		plan = j(e.Plan)
	}
	return []string{strconv.FormatInt(e.Seq, 10), e.DecisionID, r.Time, e.Caller, e.SubjectType, e.SubjectID,
		e.ResourceType, e.ResourceID, e.Action, strconv.FormatBool(e.Allow), j(r.Reasons), e.BundleRevision,
		e.Entrypoint, strconv.FormatBool(e.CacheHit), strconv.FormatInt(r.LatencyUS, 10), e.Error, j(r.Masked),
		strconv.FormatBool(e.MaskError), j(e.Input), j(e.Obligations), e.Hash, e.TraceID, e.BundleDigest, e.Kind, plan, e.Instance}
}

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
