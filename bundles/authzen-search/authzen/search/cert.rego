# The minimal fixture of the OIDF AuthZEN certification suite (RULES.md,
# section 4): subjects alice and bob (stored role admin), records record-1
# (active) and record-2 (archived), actions read, write and delete (soft).
# It applies only to its own records, or to a resource that sends a status.
package authzen.search

cert_resource if data.authzen.search.fixture.records[input.resource.id]

cert_resource if input.resource.attributes.status

# Request properties first, the stored fixture values as the fallback.
cert_status := input.resource.attributes.status

cert_status := data.authzen.search.fixture.records[input.resource.id].status if not input.resource.attributes.status

cert_role := input.subject.attributes.role

cert_role := data.authzen.search.fixture.subjects[input.subject.id].role if not input.subject.attributes.role

permitted["read"] if {
	cert_resource
	input.subject.id in {"alice", "bob"}
}

permitted["write"] if {
	cert_resource
	cert_status != "archived"
	input.subject.id == "alice"
}

permitted["write"] if {
	cert_resource
	cert_status == "archived"
	cert_role == "admin"
}

permitted["delete"] if {
	cert_resource
	input.subject.id == "alice"
	input.action.attributes.soft == true
}
