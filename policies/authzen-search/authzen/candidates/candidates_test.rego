package authzen.candidates_test

import data.authzen.candidates

test_subjects if {
	count(candidates.candidates) == 6 with input as {"resource": {"type": "subject", "id": "user"}}
}

test_resources if {
	{"type": "record", "id": "120"} in candidates.candidates with input as {"resource": {"type": "resource", "id": "record"}}
}

test_actions if {
	candidates.decision.obligations.candidates == {{"name": "view"}, {"name": "edit"}, {"name": "delete"}, {"name": "read"}, {"name": "write"}} with input as {"resource": {"type": "action", "id": ""}}
}

test_other_type_has_none if {
	count(candidates.candidates) == 0 with input as {"resource": {"type": "subject", "id": "robot"}}
}
