# Unit tests for obligations.rego. The req helper is in decision_test.rego.
package authz_test

import data.authz

test_no_obligations_is_empty_object if {
	authz.obligations == {} with input as req({})
}

test_log_access_for_confidential if {
	authz.obligations == {"log_access": true} with input as req({
		"resource": {"attributes": {"sensitivity": 2}},
		"action": {"name": "share"},
	})
}

test_log_access_for_logged_actions if {
	authz.obligations == {"log_access": true} with input as req({"action": {"name": "delete"}})
	authz.obligations == {"log_access": true} with input as req({"resource": {"type": "report"}, "action": {"name": "export"}})
}

test_watermark_confidential_reads if {
	authz.obligations == {"log_access": true, "watermark": true} with input as req({"resource": {"attributes": {"sensitivity": 3}}})
}

test_no_watermark_below_confidential if {
	not authz.obligations.watermark with input as req({"resource": {"attributes": {"sensitivity": 1}}})
}

test_notify_owner_when_someone_else_changes if {
	authz.obligations == {"notify_owner": "bob"} with input as req({
		"resource": {"attributes": {"owner": "bob"}},
		"action": {"name": "write"},
	})
}

test_no_notify_owner_for_own_changes_or_reads if {
	authz.obligations == {} with input as req({
		"resource": {"attributes": {"owner": "alice"}},
		"action": {"name": "write"},
	})
	authz.obligations == {} with input as req({"resource": {"attributes": {"owner": "bob"}}})
}

test_no_notify_owner_without_owner if {
	authz.obligations == {} with input as req({"action": {"name": "share"}})
	authz.obligations == {} with input as req({"action": {"name": "share"}, "resource": {"attributes": {"owner": ""}}})
}
