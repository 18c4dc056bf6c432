package authz

default decision := {"allow": false, "reasons": ["no_grant"]}

decision := {"allow": true, "reasons": ["owner"]} if {
	input.subject.id == input.resource.attributes.owner
	input.action.name in {"read", "write"}
}

decision := {"allow": true, "reasons": ["admin"]} if {
	"admin" in input.subject.roles
	not input.resource.attributes.locked
}
