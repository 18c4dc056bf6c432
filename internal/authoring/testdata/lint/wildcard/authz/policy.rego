package authz

default decision := {"allow": false, "reasons": ["no_grant"]}

decision := {"allow": true, "reasons": ["role grants"]} if {
	some role in input.subject.roles
	some p in data.rbac.roles[role].permissions
	p.resource in {input.resource.type, "*"}
	input.action.name in p.actions
}
