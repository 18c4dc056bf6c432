# Obligations: what the enforcement point must do when it acts on an allow.
# The PDP passes this object through to the caller unchanged; decision.rego
# attaches it to allows only.
#
# Each rule below sets one key of the object `obligations`. A key whose rules
# all fail is simply absent; with no key at all, obligations is {}.
#
# `obligations["watermark"] if { ... }` is how opa fmt spells
# `obligations.watermark := true if { ... }`. Two rules may set the same key
# (log_access below) as long as they agree on its value; if they disagreed,
# evaluation would fail with a conflict error, and the PDP would deny.
package authz

# Record the access in the service's own log: every access to confidential
# data, and every action in data.abac.logged_actions (delete, export).
obligations["log_access"] if sensitivity >= confidential

obligations["log_access"] if input.action.name in data.abac.logged_actions

# Stamp the reader's identity on what is shown or exported, when it is
# confidential.
obligations["watermark"] if {
	input.action.name in data.abac.watermark_actions
	sensitivity >= confidential
}

# Tell the owner when someone else changes or shares their resource. The value
# need not be a boolean: here it is whom to notify.
obligations["notify_owner"] := owner if {
	input.action.name in data.abac.notify_owner_actions
	owner := input.resource.attributes.owner
	is_string(owner)
	owner != ""
	not is_owner
}
