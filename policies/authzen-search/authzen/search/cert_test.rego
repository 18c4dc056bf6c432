package authzen.search_test

import data.authzen.search

cert(subject, action, id) := {
	"subject": {"type": "user", "id": subject, "attributes": {}},
	"action": {"name": action, "attributes": {}},
	"resource": {"type": "record", "id": id, "attributes": {}},
}

test_cert_fixture_decisions if {
	search.allow with input as cert("alice", "read", "record-1")
	search.allow with input as cert("alice", "write", "record-1")
	search.allow with input as cert("bob", "read", "record-1")
	not search.allow with input as cert("bob", "write", "record-1")
	not search.allow with input as json.patch(cert("alice", "write", "record-1"), [{"op": "add", "path": "/resource/attributes/status", "value": "archived"}])
	search.allow with input as json.patch(cert("carol", "write", "record-x"), [
		{"op": "add", "path": "/resource/attributes/status", "value": "archived"},
		{"op": "add", "path": "/subject/attributes/role", "value": "admin"},
	])
	search.allow with input as json.patch(cert("alice", "delete", "record-1"), [{"op": "add", "path": "/action/attributes/soft", "value": true}])
	not search.allow with input as json.patch(cert("alice", "delete", "record-1"), [{"op": "add", "path": "/action/attributes/soft", "value": false}])
	search.allow with input as cert("bob", "write", "record-2")
}

test_cert_rules_leave_search_records_alone if {
	not search.allow with input as cert("alice", "read", "101")
	not search.allow with input as cert("alice", "write", "107")
}
