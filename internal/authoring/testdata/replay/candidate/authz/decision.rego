# The example policy set: who may do what to documents and reports.
#
# Start reading here. The PDP evaluates data.authz.decision (the entrypoint
# named in ../.manifest) once per Check, with an input document shaped like
#
#   {"subject":     {"type": "user", "id": "alice", "roles": ["editor"], "attributes": {...}},
#    "resource":    {"type": "document", "id": "d1", "attributes": {...}},
#    "action":      {"name": "write", "attributes": {...}},
#    "environment": {"time": "2026-03-02T10:00:00Z", "ip": "10.0.0.5"},
#    "caller":      {"id": "billing-service"}}
#
# The policy is built from two kinds of rules, each a set of strings:
#
#   grants   reasons to allow: a role permission (rbac.rego), being the
#            owner or in the same department (abac.rego);
#   denials  reasons to refuse, which win over every grant: too little
#            clearance, outside office hours, an untrusted network
#            (abac.rego), or no grant at all (below).
#
# A request is allowed when something grants it and nothing denies it.
# Rules with the same name in several files of one package add to the same
# set, which is how rbac.rego and abac.rego both contribute to `grants`.
#
# Try it:  opa test policies --ignore '*.decisions.yaml'
#          go test ./policies
package authz

# The decision is an object, never undefined: if no rule below applies, this
# default denies. Keep it even when you believe the rules cover every case;
# the PDP fails closed on undefined anyway, but an explicit reason is kinder.
default decision := {
	"allow": false,
	"reasons": ["no_matching_rule"],
	"obligations": {},
}

# Allow: the reasons say which rules granted access. Sets have no order, so
# sort them: the same request must always produce the same decision (the PDP
# caches and audits decisions, and replays them against new bundles).
decision := {
	"allow": true,
	"reasons": sort(grants),
	"obligations": obligations,
} if {
	count(grants) > 0
	count(denials) == 0
}

# Deny: the reasons list every denial, so a caller can fix all of them at once.
# Obligations only accompany an allow.
decision := {
	"allow": false,
	"reasons": sort(denials),
	"obligations": {},
} if {
	count(denials) > 0
}

# Nothing granted the request: say so, next to any other denial.
denials contains "no_matching_rule" if {
	count(grants) == 0
}
