# The PDP's default system policy: who may call what. A bundle that defines
# any rule under data.system.authz replaces it entirely.
#
# input = {"method": "/pdp.v1.AuditService/QueryDecisions",
#          "caller": {"id": "spiffe://..."},   # {} when the caller is anonymous
#          "explain": false}
# data.system.config = {"auditors": [...], "policy_authors": [...]} (from the flags)
package system.authz

default allow := false

# Decisions (Check, CheckBatch, Envoy ext_authz, AuthZEN) for every caller the
# transport let in: with --tls-client-ca only verified certificates get this
# far; plaintext is loopback-only unless --insecure. Anonymous callers (TLS
# without a client CA, or --insecure) may ask for decisions, nothing else.
allow if {
	decision_method
	not input.explain
}

# Explanations only for --policy-authors.
allow if {
	decision_method
	input.explain
	input.caller.id in data.system.config.policy_authors
}

# The audit trail only for --auditors.
allow if {
	startswith(input.method, "/pdp.v1.AuditService/")
	input.caller.id in data.system.config.auditors
}

decision_method if startswith(input.method, "/pdp.v1.AuthorizationService/")

decision_method if input.method == "/envoy.service.auth.v3.Authorization/Check"

# The AuthZEN evaluation and search endpoints of the HTTP port.
decision_method if startswith(input.method, "/access/v1/")
