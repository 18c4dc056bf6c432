package engine

import (
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/pdp-project/pdp/internal/pdp"
)

// renderExplanation writes the account of one decision:
//
//	deny by authz/decision (revision example-1)
//	decided by: authz/decision.rego:52 decision = {...}
//	reasons:
//	  insufficient_clearance  <- authz/abac.rego:76 denials contains "insufficient_clearance"
//	rules that held (evaluation order):
//	  authz/abac.rego:18  clearance = 1
func renderExplanation(ep string, res pdp.Result, held []heldRule) string {
	var b strings.Builder
	outcome := "deny"
	if res.Allow {
		outcome = "allow"
	}
	fmt.Fprintf(&b, "%s by %s\n", outcome, ep)
	epRef := "data." + strings.ReplaceAll(strings.Trim(ep, "/"), "/", ".")
	writeDecidedBy(&b, res, held, epRef)
	writeReasons(&b, res.Reasons, held)
	writeHeld(&b, held, epRef)
	return strings.TrimRight(b.String(), "\n")
}

func writeDecidedBy(b *strings.Builder, res pdp.Result, held []heldRule, epRef string) {
	switch {
	case res.Err != "":
		fmt.Fprintf(b, "decided by: an evaluation error (fail closed): %s\n", res.Err)
		return
	case len(res.Reasons) == 1 && res.Reasons[0] == pdp.ReasonUndefined:
		fmt.Fprintf(b, "decided by: no rule of %s held and it has no default (fail closed)\n", epRef)
		return
	}
	for i := len(held) - 1; i >= 0; i-- {
		if held[i].ref == epRef {
			fmt.Fprintf(b, "decided by: %s %s\n", held[i].where, held[i].rule)
			return
		}
	}
}

// writeReasons links each reason to the rule that produced it as a string
// value (a set element or a rule value), when one did.
func writeReasons(b *strings.Builder, reasons []string, held []heldRule) {
	if len(reasons) == 0 {
		return
	}
	b.WriteString("reasons:\n")
	for _, reason := range reasons {
		src := "(written in the rule that decided)"
		if pdpReason(reason) {
			src = "(produced by the PDP: it fails closed)"
		}
		for _, r := range held {
			if s, ok := r.value.Value.(ast.String); ok && string(s) == reason {
				src = "<- " + r.where + " " + r.rule
				break
			}
		}
		fmt.Fprintf(b, "  %s  %s\n", reason, src)
	}
}

func writeHeld(b *strings.Builder, held []heldRule, epRef string) {
	var lines []string
	for _, r := range held {
		if r.ref != epRef {
			lines = append(lines, fmt.Sprintf("  %s  %s", r.where, shorten(r.rule)))
		}
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("rules that held (evaluation order):\n")
	if len(lines) > maxExplainedRules {
		lines = append(lines[:maxExplainedRules], fmt.Sprintf("  ... and %d more", len(lines)-maxExplainedRules))
	}
	b.WriteString(strings.Join(lines, "\n") + "\n")
}

// shorten keeps one rule line readable when its value is a large document.
func shorten(s string) string {
	const max = 160
	if len(s) <= max {
		return s
	}
	return s[:max-3] + "..."
}

func pdpReason(r string) bool {
	switch r {
	case pdp.ReasonUndefined, pdp.ReasonInvalidResult, pdp.ReasonEvaluationError:
		return true
	}
	return false
}
