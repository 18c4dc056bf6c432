# Unit tests for abac.rego. The req helper is in decision_test.rego.
package authz_test

import data.authz

# --- Attributes ---

test_clearance_from_subject if {
	authz.clearance == 2 with input as req({"subject": {"attributes": {"clearance": 2}}})
}

test_clearance_as_double_compares_by_value if {
	authz.clearance == 2 with input as req({"subject": {"attributes": {"clearance": 2.0}}})
}

test_clearance_defaults_to_zero if {
	authz.clearance == 0 with input as req({})
	authz.clearance == 0 with input as req({"subject": {"attributes": {"clearance": "3"}}})
}

test_sensitivity_from_resource if {
	authz.sensitivity == 1 with input as req({"resource": {"attributes": {"sensitivity": 1}}})
}

test_sensitivity_defaults_to_public if {
	authz.sensitivity == 0 with input as req({})
}

test_sensitivity_not_a_number_is_most_sensitive if {
	authz.sensitivity == 3 with input as req({"resource": {"attributes": {"sensitivity": "low"}}})
	authz.sensitivity == 3 with input as req({"resource": {"attributes": {"sensitivity": null}}})
}

test_is_owner if {
	authz.is_owner with input as req({"resource": {"attributes": {"owner": "alice"}}})
	not authz.is_owner with input as req({"resource": {"attributes": {"owner": "bob"}}})
	not authz.is_owner with input as req({})
}

test_empty_owner_owns_nothing if {
	not authz.is_owner with input as req({"subject": {"id": ""}, "resource": {"attributes": {"owner": ""}}})
}

# --- Grants ---

test_owner_grant if {
	authz.grants == {"owner grants document:share"} with input as req({
		"resource": {"attributes": {"owner": "alice"}},
		"action": {"name": "share"},
	})
}

test_owner_grant_only_for_owner_actions if {
	authz.grants == set() with input as req({
		"resource": {"attributes": {"owner": "alice"}},
		"action": {"name": "delete"},
	})
}

test_department_grant if {
	authz.grants == {"department:eng grants document:read"} with input as req({
		"subject": {"attributes": {"department": "eng"}},
		"resource": {"attributes": {"department": "eng"}},
	})
}

test_department_grant_needs_same_department if {
	authz.grants == set() with input as req({
		"subject": {"attributes": {"department": "eng"}},
		"resource": {"attributes": {"department": "sales"}},
	})
}

test_department_grant_ignores_empty_department if {
	authz.grants == set() with input as req({
		"subject": {"attributes": {"department": ""}},
		"resource": {"attributes": {"department": ""}},
	})
}

test_department_grant_only_for_department_actions if {
	authz.grants == set() with input as req({
		"subject": {"attributes": {"department": "eng"}},
		"resource": {"attributes": {"department": "eng"}},
		"action": {"name": "write"},
	})
}

# --- Denials ---

test_insufficient_clearance if {
	"insufficient_clearance" in authz.denials with input as req({
		"subject": {"attributes": {"clearance": 1}},
		"resource": {"attributes": {"sensitivity": 2}},
	})
}

test_equal_clearance_suffices if {
	not "insufficient_clearance" in authz.denials with input as req({
		"subject": {"attributes": {"clearance": 2}},
		"resource": {"attributes": {"sensitivity": 2.0}},
	})
}

# write at the given time; the office hours cover writes, not reads.
write_at(t) := req({"action": {"name": "write"}, "environment": {"time": t}})

test_within_office_hours if {
	authz.within_office_hours with input as write_at("2026-03-02T08:00:00Z")
	authz.within_office_hours with input as write_at("2026-03-06T17:59:59Z")
	not "outside_office_hours" in authz.denials with input as write_at("2026-03-02T10:00:00Z")
}

test_outside_office_hours if {
	"outside_office_hours" in authz.denials with input as write_at("2026-03-02T07:59:59Z")
	"outside_office_hours" in authz.denials with input as write_at("2026-03-02T18:00:00Z")
	"outside_office_hours" in authz.denials with input as write_at("2026-03-07T10:00:00Z") # Saturday
}

test_office_hours_use_utc if {
	# 10:00 in New York is 15:00 UTC: inside; 20:00 in New York is 01:00 UTC: outside.
	not "outside_office_hours" in authz.denials with input as write_at("2026-03-02T10:00:00-05:00")
	"outside_office_hours" in authz.denials with input as write_at("2026-03-02T20:00:00-05:00")
}

test_office_hours_do_not_apply_to_reads if {
	not authz.office_hours_apply with input as req({"environment": {"time": "2026-03-07T23:00:00Z"}})
	authz.denials == {"no_matching_rule"} with input as req({"environment": {"time": "2026-03-07T23:00:00Z"}})
}

test_invalid_time if {
	"invalid_time" in authz.denials with input as write_at("yesterday")
	"invalid_time" in authz.denials with input as write_at(1772445600)
	not "outside_office_hours" in authz.denials with input as write_at("yesterday")
}

test_missing_time_is_invalid if {
	"invalid_time" in authz.denials with input as {"action": {"name": "delete"}}
}

test_untrusted_network if {
	"untrusted_network" in authz.denials with input as req({
		"resource": {"attributes": {"sensitivity": 2}},
		"environment": {"ip": "203.0.113.9"},
	})
}

test_trusted_networks_from_data if {
	authz.from_trusted_network with input as req({"environment": {"ip": "10.20.30.40"}})
	authz.from_trusted_network with input as req({"environment": {"ip": "192.168.10.7"}})
	not authz.from_trusted_network with input as req({"environment": {"ip": "192.168.11.7"}})
}

test_missing_or_malformed_ip_is_untrusted if {
	"untrusted_network" in authz.denials with input as {"resource": {"attributes": {"sensitivity": 3}}}
	"untrusted_network" in authz.denials with input as req({
		"resource": {"attributes": {"sensitivity": 2}},
		"environment": {"ip": "not-an-ip"},
	})
}

test_network_matters_only_from_confidential if {
	not "untrusted_network" in authz.denials with input as req({
		"resource": {"attributes": {"sensitivity": 1}},
		"environment": {"ip": "203.0.113.9"},
	})
}
