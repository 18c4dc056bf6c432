package authn

import (
	"context"
	"slices"
	"strings"

	"github.com/pdp-project/pdp/internal/pdp"
)

// auditPrefix is the method prefix of the audit service.
const auditPrefix = "/pdp.v1.AuditService/"

// Lists authorizes calls from the --auditors and --policy-authors lists:
// the audit service only for auditors, explanations only for policy authors,
// decisions for every caller.
type Lists struct {
	Auditors      []string
	PolicyAuthors []string
}

// Authorize lets method through for caller, or refuses it with
// pdp.CodePermissionDenied.
func (l Lists) Authorize(_ context.Context, method, caller string, explain bool) error {
	if strings.HasPrefix(method, auditPrefix) && !l.has(l.Auditors, caller) {
		return pdp.Errorf(pdp.CodePermissionDenied, "caller %q is not an auditor", caller)
	}
	if explain && !l.has(l.PolicyAuthors, caller) {
		return pdp.Errorf(pdp.CodePermissionDenied, "caller %q may not ask for explanations", caller)
	}
	return nil
}

func (l Lists) has(list []string, caller string) bool {
	return caller != "" && slices.Contains(list, caller)
}
