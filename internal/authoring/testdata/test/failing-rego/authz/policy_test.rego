package authz_test

import data.authz

test_admin_allowed if {
	authz.decision.allow with input as {"subject": {"roles": ["admin"]}}
}

test_viewer_allowed if {
	authz.decision.allow with input as {"subject": {"roles": ["viewer"]}}
}
