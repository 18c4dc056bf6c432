package pdp

import "time"

// Reasons the PDP itself produces, beside those a policy returns.
const (
	ReasonUndefined         = "undefined"
	ReasonInvalidResult     = "invalid_result"
	ReasonEvaluationError   = "evaluation_error"
	ReasonInvalidToken      = "invalid_token"
	ReasonTokenRevoked      = "token_revoked"
	ReasonTokenUnverifiable = "token_unverifiable"
)

// Query is what the evaluator is asked: an entrypoint and the input document.
type Query struct {
	// Entrypoint is a data path such as "authz/decision"; empty means the
	// active bundle's default entrypoint.
	Entrypoint string
	Input      map[string]any
	Explain    bool
}

// Result is the outcome of evaluating one Query. Allow is true only when the
// policy returned an explicit true.
type Result struct {
	Allow          bool
	Reasons        []string
	Obligations    map[string]any
	BundleRevision string
	// BundleDigest identifies the content of the bundle set that decided
	// (see Plan.Digest).
	BundleDigest string
	Entrypoint   string
	// Explanation is a human-readable account of the decision, filled only
	// when the query asked for one.
	Explanation string
	// Err describes an evaluation error that was turned into a deny; it is
	// logged and audited, never returned to the caller.
	Err string
	// CacheHit reports that the result came from a decision cache.
	CacheHit bool
}

// Deny builds a deny result with one PDP-produced reason.
func Deny(reason string) Result {
	return Result{Reasons: []string{reason}}
}

// Decision is the answer to one Request.
type Decision struct {
	ID string
	Result
}

// Record is the audit record of one decision.
type Record struct {
	DecisionID     string
	Time           time.Time
	Caller         string
	SubjectType    string
	SubjectID      string
	ResourceType   string
	ResourceID     string
	Action         string
	Allow          bool
	Reasons        []string
	Obligations    map[string]any
	Input          map[string]any
	BundleRevision string
	// BundleDigest identifies the content of the activated bundle set that
	// decided (hex SHA-256; see Plan.Digest): it tells two bundles apart
	// that carry the same revision. Empty in records written before it
	// was recorded.
	BundleDigest string
	Entrypoint   string
	CacheHit     bool
	Latency      time.Duration
	// TraceID is the W3C trace id of the request that made the decision
	// (32 hex digits), empty when it was not traced.
	TraceID string
	// Error is the evaluation error behind a deny, if any.
	Error string
	// Masked lists the JSON pointers (under /input) that the bundle's
	// data.system.log.mask rule erased or replaced before the record was
	// stored; "/input" alone when the whole input was erased.
	Masked []string
	// MaskError flags a record whose mask rule failed: its whole input was
	// erased.
	MaskError bool
	// Kind is empty for a decision and RecordKindPlan for a resource plan.
	Kind string
	// Plan holds a plan record's answer as JSON values: {"kind": ...,
	// "condition": ...} (the Condition's JSON form); nil for a decision.
	Plan map[string]any
}
