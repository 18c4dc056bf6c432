package console

import (
	"crypto/ed25519"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/pdp-project/pdp/internal/audit"
	"github.com/pdp-project/pdp/internal/audit/recordfmt"
	"github.com/pdp-project/pdp/internal/pdp"
)

const (
	// exportDefault and exportMax bound how many records one export
	// holds (limit).
	exportDefault = 10000
	exportMax     = 100000
)

// exportColumns are added after the columns of pdp audit query --format
// csv: how far the trail's verification vouches for the record (signed,
// chained, unverified or unknown) and the signed checkpoint that does.
var exportColumns = []string{"verification", "checkpoint_seq"}

// exportLine is one line of the JSON Lines export: the record as pdp
// audit query --format json prints it, and its verification.
type exportLine struct {
	recordfmt.Record
	Verification  string `json:"verification"`
	CheckpointSeq *int64 `json:"checkpoint_seq"`
}

// export is /ui/export?format=csv|jsonl&...: the records of a search, in
// the forms of pdp audit query --format csv or json, each with its place
// in the verified chain; the X-PDP-Trail-Verification header sums up the
// verification of the whole trail.
func (c *Console) export(w http.ResponseWriter, r *http.Request) {
	caller, ok := c.allow(w, r, permQuery)
	if !ok {
		return
	}
	q := r.URL.Query()
	format := q.Get("format")
	q.Del("limit")
	s, f, err := parseSearch(q, c.opts.Now())
	limit, lerr := intParam(r.URL.Query(), "limit", exportDefault, 1, exportMax)
	if err == nil && lerr != nil {
		err = lerr
	}
	if err == nil && format != "csv" && format != "jsonl" && format != "json" {
		err = pdp.InvalidField("format", "want csv or jsonl")
	}
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	chain := chainState{Err: fmt.Errorf("caller may not verify the trail")}
	if c.may(r.Context(), caller, permVerify) {
		chain = c.chain.get(r.Context())
	}
	c.writeExport(w, r, format, s, f, limit, chain)
}

func (c *Console) writeExport(w http.ResponseWriter, r *http.Request, format string, s search, f audit.Filter, limit int, chain chainState) {
	h := w.Header()
	name := "decisions-" + c.opts.Now().UTC().Format("20060102T150405Z")
	if format == "csv" {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		name += ".csv"
	} else {
		h.Set("Content-Type", "application/x-ndjson; charset=utf-8")
		name += ".jsonl"
	}
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("X-PDP-Trail-Verification", chain.summary(c.opts.Fingerprint))
	out := newExportWriter(w, format)
	err := c.eachRecord(r, f, limit, func(e audit.Entry) error {
		return out.write(e, chain.place(e.Seq, c.opts.PublicKey, c.opts.Fingerprint))
	})
	if err == nil {
		err = out.flush()
	}
	if err != nil { // the status is sent: all that is left is to stop short and log
		c.opts.Logger.Warn("console export stopped", "path", r.URL.Path, "search", s.values().Encode(), "error", err)
	}
}

// eachRecord calls fn for each of at most limit records f selects, newest
// first, page by page.
func (c *Console) eachRecord(r *http.Request, f audit.Filter, limit int, fn func(audit.Entry) error) error {
	token := ""
	for left := limit; left > 0; {
		entries, next, err := c.opts.Trail.Query(r.Context(), f, audit.Page{Size: min(left, audit.MaxPageSize), Token: token})
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := fn(e); err != nil {
				return err
			}
		}
		left -= len(entries)
		if token = next; token == "" || len(entries) == 0 {
			return nil
		}
	}
	return nil
}

// summary is the verification of the whole trail in one header line.
func (s chainState) summary(fp func(ed25519.PublicKey) string) string {
	if s.Err != nil {
		return "unknown; " + s.Err.Error()
	}
	rep := s.Report
	out := fmt.Sprintf("%s; records=%d; checkpoints=%d; first_seq=%d; last_seq=%d", s.Verdict(),
		rep.Records, rep.Checkpoints, rep.FirstSeq, rep.LastSeq)
	if rep.Break != nil {
		out += "; break_seq=" + strconv.FormatInt(rep.Break.Seq, 10)
	}
	if cp := s.Newest(); cp != nil {
		out += "; signed_through_seq=" + strconv.FormatInt(cp.Seq, 10)
		if key := keyOf(*cp, fp); key != "" {
			out += "; key=" + key
		}
	}
	return out
}

// exportWriter writes records as CSV or JSON Lines.
type exportWriter struct {
	csv  *csv.Writer
	json *json.Encoder
}

func newExportWriter(w io.Writer, format string) *exportWriter {
	if format == "csv" {
		out := &exportWriter{csv: csv.NewWriter(w)}
		_ = out.csv.Write(append(append([]string{}, recordfmt.CSVHeader...), exportColumns...))
		return out
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &exportWriter{json: enc}
}

func (x *exportWriter) write(e audit.Entry, p position) error {
	var cpSeq *int64
	if p.Checkpoint != nil {
		cpSeq = &p.Checkpoint.Seq
	}
	if x.json != nil {
		return x.json.Encode(exportLine{Record: recordfmt.JSON(e), Verification: p.Cover, CheckpointSeq: cpSeq})
	}
	seq := ""
	if cpSeq != nil {
		seq = strconv.FormatInt(*cpSeq, 10)
	}
	return x.csv.Write(append(recordfmt.CSVRow(e), p.Cover, seq))
}

func (x *exportWriter) flush() error {
	if x.csv == nil {
		return nil
	}
	x.csv.Flush()
	return x.csv.Error()
}
