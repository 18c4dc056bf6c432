# Candidates for the AuthZEN search endpoints. The PDP asks this entrypoint
# which entities of a kind exist (resource.type: subject, resource or action;
# resource.id: the entity type searched), then evaluates the regular decision
# for each candidate and returns those permitted.
package authzen.candidates

decision := {"allow": true, "obligations": {"candidates": candidates}}

candidates contains {"type": "user", "id": id} if {
	input.resource.type == "subject"
	input.resource.id == "user"
	some id, _ in data.authzen.search.users
}

candidates contains {"type": "record", "id": id} if {
	input.resource.type == "resource"
	input.resource.id == "record"
	some id, _ in data.authzen.search.records
}

candidates contains {"type": "record", "id": id} if {
	input.resource.type == "resource"
	input.resource.id == "record"
	some id, _ in data.authzen.search.fixture.records
}

candidates contains {"name": name} if {
	input.resource.type == "action"
	some name in {"view", "edit", "delete", "read", "write"}
}
