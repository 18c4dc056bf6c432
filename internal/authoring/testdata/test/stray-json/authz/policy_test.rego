package authz_test

import data.authz

test_viewer_reads if {
	authz.decision.allow with input as {"subject": {"id": "v", "roles": ["viewer"]}, "action": {"name": "read"}}
}
