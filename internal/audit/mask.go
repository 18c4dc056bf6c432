package audit

import (
	"context"
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
// replaced pointers are listed in rec.Masked. When the rule fails, the whole
// input is erased and rec.MaskError is set; the record is still written.
func (m *Masker) Mask(ctx context.Context, rec *pdp.Record) {
	ops, defined, err := m.rules.MaskOps(ctx, func() map[string]any { return maskEvent(rec) })
	if err == nil && defined {
		var input map[string]any
		if input, err = ApplyMask(rec.Input, ops); err == nil {
			rec.Input, rec.Masked = input, maskedPaths(ops)
		}
	}
	if err != nil {
		rec.Input, rec.Masked, rec.MaskError = map[string]any{}, []string{"/input"}, true
	}
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
