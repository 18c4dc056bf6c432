package authzen.search_test

import data.authzen.search

req(subject, action, id) := {
	"subject": {"type": "user", "id": subject},
	"action": {"name": action},
	"resource": {"type": "record", "id": id},
}

test_view if {
	search.allow with input as req("alice", "view", "101") # owner
	search.allow with input as req("bob", "view", "103") # same department
	search.allow with input as req("dan", "view", "101") # manager
	not search.allow with input as req("felix", "view", "101")
}

test_edit if {
	search.allow with input as req("alice", "edit", "110") # manager, same department
	not search.allow with input as req("alice", "edit", "102") # manager, other department
	not search.allow with input as req("bob", "edit", "103") # employee, same department
	search.allow with input as req("felix", "edit", "112") # owner
}

test_delete_only_owner if {
	search.allow with input as req("bob", "delete", "120")
	not search.allow with input as req("alice", "delete", "110")
}

test_unknown_denied if {
	not search.allow with input as req("zed", "view", "101")
	not search.allow with input as req("alice", "view", "999")
	not search.allow with input as req("alice", "share", "101")
}
