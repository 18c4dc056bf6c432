package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/pdp-project/pdp/internal/pdp"
)

// MaskRules evaluates the bundle's mask rule (data.system.log.mask) over
// OPA's decision event. defined is false when the active bundle set has no
// such rule or it is undefined for this event; err is an evaluation error or
// a malformed result.
type MaskRules interface {
	// MaskOps calls event only when a mask rule is active, so that a
	// bundle without one costs nothing per record.
	MaskOps(ctx context.Context, event func() map[string]any) (ops []pdp.MaskOp, defined bool, err error)
}

// Masker applies the mask rule to records before they are written, so that
// masked values never reach the store.
type Masker struct {
	rules MaskRules
}

// NewMasker returns a Masker over rules.
func NewMasker(rules MaskRules) *Masker { return &Masker{rules: rules} }

// Mask evaluates the mask rule for rec and rewrites rec.Input: erased or
// replaced pointers are listed in rec.Masked. The record's own columns taken
// from the input (subject, resource, action, caller) follow the mask, and the
// masked values are replaced in rec.Error. When the rule fails, the whole
// input is erased, rec.Error keeps only its kind and rec.MaskError is set;
// the columns are kept and the record is still written.
func (m *Masker) Mask(ctx context.Context, rec *pdp.Record) {
	ops, defined, err := m.rules.MaskOps(ctx, func() map[string]any { return maskEvent(rec) })
	if err == nil && defined {
		err = applyToRecord(rec, ops)
	}
	if err != nil {
		rec.Input, rec.Masked, rec.MaskError = map[string]any{}, []string{"/input"}, true
		rec.Error = erasedError(rec.Error)
	}
}

// applyToRecord applies ops to rec's input, columns and error text.
func applyToRecord(rec *pdp.Record, ops []pdp.MaskOp) error {
	input, err := ApplyMask(rec.Input, ops)
	if err != nil {
		return err
	}
	if rec.Error != "" {
		rec.Error = redact(rec.Error, maskedTexts(rec.Input, ops))
	}
	rec.Input, rec.Masked = input, maskedPaths(ops)
	followMask(rec, ops)
	return nil
}

// maskEvent is the subset of OPA's decision log event that the mask rule
// sees: input, result, decision_id, path, bundle revision.
func maskEvent(rec *pdp.Record) map[string]any {
	reasons := make([]any, len(rec.Reasons))
	for i, r := range rec.Reasons {
		reasons[i] = r
	}
	result := map[string]any{"allow": rec.Allow, "reasons": reasons, "obligations": rec.Obligations}
	return map[string]any{"input": rec.Input, "result": result, "decision_id": rec.DecisionID,
		"path": rec.Entrypoint, "bundle_revision": rec.BundleRevision}
}

func maskedPaths(ops []pdp.MaskOp) []string {
	out := make([]string, 0, len(ops))
	for _, op := range ops {
		out = append(out, op.Path)
	}
	return out
}

// maskedColumns are the record columns copied from the input, with the
// pointer each one is read from.
var maskedColumns = []struct {
	path  string
	field func(*pdp.Record) *string
}{
	{"/input/subject/type", func(r *pdp.Record) *string { return &r.SubjectType }},
	{"/input/subject/id", func(r *pdp.Record) *string { return &r.SubjectID }},
	{"/input/resource/type", func(r *pdp.Record) *string { return &r.ResourceType }},
	{"/input/resource/id", func(r *pdp.Record) *string { return &r.ResourceID }},
	{"/input/action/name", func(r *pdp.Record) *string { return &r.Action }},
	{"/input/caller/id", func(r *pdp.Record) *string { return &r.Caller }},
}

// followMask sets each column that an op of ops reaches (its pointer or an
// ancestor) to what the masked rec.Input holds there: "" when erased, a
// string as is, any other value as its JSON text.
func followMask(rec *pdp.Record, ops []pdp.MaskOp) {
	for _, col := range maskedColumns {
		if !reaches(ops, col.path) {
			continue
		}
		tokens, _ := inputPointer(col.path)
		*col.field(rec) = columnText(lookup(rec.Input, tokens))
	}
}

func reaches(ops []pdp.MaskOp, path string) bool {
	for _, op := range ops {
		if op.Path == "/input" || op.Path == path || strings.HasPrefix(path, op.Path+"/") {
			return true
		}
	}
	return false
}

func lookup(input map[string]any, tokens []string) any {
	var cur any = input
	for _, t := range tokens {
		if cur = child(cur, t); cur == nil {
			return nil
		}
	}
	return cur
}

func columnText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return jsonText(v)
}

func jsonText(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// maskedText replaces masked values in evaluation error texts.
const maskedText = "<masked>"

// maskedTexts lists the texts under which the values that ops erase or
// replace in input may appear in an error message: each string (raw, Go- and
// JSON-quoted as Rego and JSON print it), each other value's JSON text (and a
// number as Rego prints it), for the value itself and all its members.
func maskedTexts(input map[string]any, ops []pdp.MaskOp) []string {
	var out []string
	for _, op := range ops {
		if tokens, err := inputPointer(op.Path); err == nil {
			out = valueTexts(lookup(input, tokens), out)
		}
	}
	return out
}

func valueTexts(v any, out []string) []string {
	switch x := v.(type) {
	case nil:
		return out
	case string:
		return append(out, x, unquote(strconv.Quote(x)), unquote(jsonText(x)))
	case []string:
		for _, s := range x {
			out = valueTexts(s, out)
		}
		return out
	case map[string]any:
		for _, e := range x {
			out = valueTexts(e, out)
		}
	case []any:
		for _, e := range x {
			out = valueTexts(e, out)
		}
	case float64:
		out = append(out, strconv.FormatFloat(x, 'g', -1, 64))
	}
	return append(out, jsonText(v))
}

func unquote(q string) string {
	return strings.TrimSuffix(strings.TrimPrefix(q, `"`), `"`)
}

// redact replaces in msg every stretch covered by occurrences of texts
// (overlapping ones merged) by maskedText.
func redact(msg string, texts []string) string {
	covered := make([]bool, len(msg))
	for _, t := range texts {
		for i := 0; t != "" && i < len(msg); {
			j := strings.Index(msg[i:], t)
			if j < 0 {
				break
			}
			for k := i + j; k < i+j+len(t); k++ {
				covered[k] = true
			}
			i += j + 1
		}
	}
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		switch {
		case !covered[i]:
			b.WriteByte(msg[i])
		case i == 0 || !covered[i-1]:
			b.WriteString(maskedText)
		}
	}
	return b.String()
}

// erasedError keeps only the kind of an evaluation error (an OPA code such
// as eval_conflict_error, else evaluation_error): when the mask rule failed,
// any part of the input may be in the message.
func erasedError(msg string) string {
	if msg == "" {
		return ""
	}
	kind := pdp.ReasonEvaluationError
	for _, part := range strings.Split(msg, ": ") {
		if isErrorCode(part) {
			kind = part
			break
		}
	}
	return kind + ": details erased (the mask rule failed)"
}

// isErrorCode reports whether s looks like an OPA error code: lower-case
// words joined by "_", ending in "_error".
func isErrorCode(s string) bool {
	if !strings.HasSuffix(s, "_error") {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '_' {
			return false
		}
	}
	return true
}

// ApplyMask returns a copy of input with ops applied; input is not
// modified. A pointer must start with /input; removing a member that does
// not exist is a no-op, an upsert creates missing objects on its way.
func ApplyMask(input map[string]any, ops []pdp.MaskOp) (map[string]any, error) {
	root, _ := deepCopy(input).(map[string]any)
	if root == nil {
		root = map[string]any{}
	}
	for _, op := range ops {
		tokens, err := inputPointer(op.Path)
		if err != nil {
			return nil, err
		}
		switch op.Op {
		case pdp.MaskRemove:
			root = remove(root, tokens)
		case pdp.MaskUpsert:
			if root, err = upsert(root, tokens, op.Value); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("mask op %q: want remove or upsert", op.Op)
		}
	}
	return root, nil
}

// inputPointer parses an RFC 6901 pointer under /input into the tokens
// below input.
func inputPointer(p string) ([]string, error) {
	if p != "/input" && !strings.HasPrefix(p, "/input/") {
		return nil, fmt.Errorf("mask pointer %q does not name /input/...", p)
	}
	if p == "/input" {
		return nil, nil
	}
	parts := strings.Split(strings.TrimPrefix(p, "/input/"), "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

func remove(root map[string]any, tokens []string) map[string]any {
	if len(tokens) == 0 {
		return map[string]any{}
	}
	var cur any = root
	for _, t := range tokens[:len(tokens)-1] {
		if cur = child(cur, t); cur == nil {
			return root
		}
	}
	last := tokens[len(tokens)-1]
	switch c := cur.(type) {
	case map[string]any:
		delete(c, last)
	case []any:
		if i, err := strconv.Atoi(last); err == nil && i >= 0 && i < len(c) {
			c[i] = nil // keep positions stable; the value is gone
		}
	}
	return root
}

func child(v any, t string) any {
	switch c := v.(type) {
	case map[string]any:
		return c[t]
	case []any:
		if i, err := strconv.Atoi(t); err == nil && i >= 0 && i < len(c) {
			return c[i]
		}
	}
	return nil
}

func upsert(root map[string]any, tokens []string, value any) (map[string]any, error) {
	if len(tokens) == 0 {
		m, ok := value.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("mask upsert of /input needs an object")
		}
		return m, nil
	}
	cur := root
	for _, t := range tokens[:len(tokens)-1] {
		next, ok := cur[t].(map[string]any)
		if !ok {
			if cur[t] != nil {
				return nil, fmt.Errorf("mask upsert: %q is not an object", t)
			}
			next = map[string]any{}
			cur[t] = next
		}
		cur = next
	}
	cur[tokens[len(tokens)-1]] = value
	return root, nil
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	case []string:
		return append([]string(nil), x...)
	}
	return v
}
