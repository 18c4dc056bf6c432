// Package recordfmt writes audit trail records in the exchange forms that
// pdp audit query prints with --format csv and --format json (JSON Lines):
// the same columns, names and value spellings, so that a file exported
// from the web console and one printed by the command line read alike. It
// imports only the audit package, so that both the command and the console
// can use it.
package recordfmt

import (
	"encoding/json"
	"strconv"

	"github.com/pdp-project/pdp/internal/audit"
)

// CSVHeader is the header row of the CSV form.
var CSVHeader = []string{"seq", "decision_id", "time", "caller", "subject_type", "subject_id", "resource_type",
	"resource_id", "action", "allow", "reasons", "bundle_revision", "entrypoint", "cache_hit", "latency_us",
	"error", "masked", "mask_error", "input", "obligations", "hash", "trace_id", "bundle_digest", "kind", "plan", "instance"}

// Record is one line of the JSON Lines form.
type Record struct {
	Seq            int64          `json:"seq"`
	DecisionID     string         `json:"decision_id"`
	Time           string         `json:"time"`
	Caller         string         `json:"caller"`
	Subject        TypedID        `json:"subject"`
	Resource       TypedID        `json:"resource"`
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
	// Instance is the replica whose chain holds the record in a fleet's trail.
	Instance string `json:"instance,omitempty"`
}

// TypedID is a subject or resource: its type and id.
type TypedID struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// JSON is the JSON Lines form of e: lists are [] rather than null, the
// time is audit.TimeFormat in UTC.
func JSON(e audit.Entry) Record {
	reasons, masked := e.Reasons, e.Masked
	if reasons == nil {
		reasons = []string{}
	}
	if masked == nil {
		masked = []string{}
	}
	return Record{Seq: e.Seq, DecisionID: e.DecisionID, Time: e.Time.UTC().Format(audit.TimeFormat),
		Caller: e.Caller, Subject: TypedID{e.SubjectType, e.SubjectID}, Resource: TypedID{e.ResourceType, e.ResourceID},
		Action: e.Action, Allow: e.Allow, Reasons: reasons, Obligations: e.Obligations, BundleRevision: e.BundleRevision,
		BundleDigest: e.BundleDigest, Entrypoint: e.Entrypoint, CacheHit: e.CacheHit, LatencyUS: e.Latency.Microseconds(),
		Error: e.Error, Input: e.Input, Masked: masked, MaskError: e.MaskError, PrevHash: e.PrevHash, Hash: e.Hash,
		TraceID: e.TraceID, Kind: e.Kind, Plan: e.Plan, Instance: e.Instance}
}

// CSVRow is the CSV form of e, in the order of CSVHeader: lists and
// objects as JSON text.
func CSVRow(e audit.Entry) []string {
	r := JSON(e)
	plan := ""
	if e.Plan != nil {
		plan = jsonText(e.Plan)
	}
	return []string{strconv.FormatInt(e.Seq, 10), e.DecisionID, r.Time, e.Caller, e.SubjectType, e.SubjectID,
		e.ResourceType, e.ResourceID, e.Action, strconv.FormatBool(e.Allow), jsonText(r.Reasons), e.BundleRevision,
		e.Entrypoint, strconv.FormatBool(e.CacheHit), strconv.FormatInt(r.LatencyUS, 10), e.Error, jsonText(r.Masked),
		strconv.FormatBool(e.MaskError), jsonText(e.Input), jsonText(e.Obligations), e.Hash, e.TraceID, e.BundleDigest,
		e.Kind, plan, e.Instance}
}

// jsonText is v as compact JSON; values that come out of the trail always
// encode, so a failure (impossible there) gives "".
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
