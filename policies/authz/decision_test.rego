# Unit tests for decision.rego. Run with: opa test policies --ignore '*.decisions.yaml'
#
# Tests live in their own package and reach the policy through data.authz,
# the same way the PDP does. Each test feeds an input with `with input as`.
package authz_test

import data.authz

# req(patch) is a harmless baseline request (alice reads a public document,
# Monday 10:00 UTC, from the office network) with patch merged over it.
# object.union merges nested objects, so a test states only what matters.
req(patch) := object.union(
	{
		"subject": {"type": "user", "id": "alice", "roles": [], "attributes": {}},
		"resource": {"type": "document", "id": "d1", "attributes": {}},
		"action": {"name": "read", "attributes": {}},
		"environment": {"time": "2026-03-02T10:00:00Z", "ip": "10.0.0.5"},
		"caller": {},
	},
	patch,
)

test_allow_lists_sorted_grants_and_obligations if {
	authz.decision == {
		"allow": true,
		"reasons": ["department:eng grants document:read", "role:editor grants document:read"],
		"obligations": {"log_access": true, "watermark": true},
	} with input as req({
		"subject": {"roles": ["editor"], "attributes": {"department": "eng", "clearance": 2}},
		"resource": {"attributes": {"department": "eng", "sensitivity": 2}},
	})
}

test_allow_without_obligations_has_empty_object if {
	authz.decision == {
		"allow": true,
		"reasons": ["role:viewer grants document:read"],
		"obligations": {},
	} with input as req({"subject": {"roles": ["viewer"]}})
}

test_denials_win_over_grants_and_are_all_listed if {
	authz.decision == {
		"allow": false,
		"reasons": ["insufficient_clearance", "outside_office_hours", "untrusted_network"],
		"obligations": {},
	} with input as req({
		"subject": {"roles": ["manager"], "attributes": {"clearance": 1}},
		"resource": {"attributes": {"sensitivity": 2}},
		"action": {"name": "delete"},
		"environment": {"time": "2026-03-07T10:00:00Z", "ip": "203.0.113.9"},
	})
}

test_no_grant_is_no_matching_rule if {
	authz.decision == {
		"allow": false,
		"reasons": ["no_matching_rule"],
		"obligations": {},
	} with input as req({"subject": {"roles": ["viewer"]}, "action": {"name": "write"}})
}

test_no_grant_is_listed_with_other_denials if {
	authz.decision.reasons == ["insufficient_clearance", "no_matching_rule"] with input as req({"resource": {"attributes": {"sensitivity": 1}}})
}

test_deny_drops_obligations if {
	d := authz.decision with input as req({
		"subject": {"roles": ["editor"], "attributes": {"clearance": 3}},
		"resource": {"attributes": {"owner": "bob", "sensitivity": 2}},
		"action": {"name": "write"},
		"environment": {"time": "2026-03-02T20:00:00Z"},
	})
	d.allow == false
	d.obligations == {}
}

# The default decision is the safety net for a request that no rule matches.
# The rules above always match, so replace them to reach it.
test_default_decision_denies if {
	authz.decision == {
		"allow": false,
		"reasons": ["no_matching_rule"],
		"obligations": {},
	} with authz.grants as set() with authz.denials as set()
}

test_empty_input_denies if {
	authz.decision == {
		"allow": false,
		"reasons": ["no_matching_rule"],
		"obligations": {},
	} with input as {}
}
