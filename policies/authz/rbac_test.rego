# Unit tests for rbac.rego. The req helper is in decision_test.rego.
package authz_test

import data.authz

test_role_graph_maps_roles_to_inherited_roles if {
	authz.role_graph.editor == ["viewer"]
	authz.role_graph.viewer == []
	authz.role_graph.admin == ["manager", "auditor"]
}

test_role_graph_defaults_missing_inherits if {
	authz.role_graph == {"solo": []} with data.rbac.roles as {"solo": {"permissions": []}}
}

test_inherited_roles_is_transitive if {
	authz.inherited_roles("admin") == {"admin", "manager", "editor", "viewer", "auditor"}
	authz.inherited_roles("viewer") == {"viewer"}
}

test_inherited_roles_of_unknown_role_is_empty if {
	authz.inherited_roles("ghost") == set()
}

test_inherited_roles_survives_cycles if {
	authz.inherited_roles("a") == {"a", "b"} with data.rbac.roles as {
		"a": {"inherits": ["b"], "permissions": []},
		"b": {"inherits": ["a"], "permissions": []},
	}
}

test_role_permits_own_permission if {
	authz.role_permits("editor") with input as req({"action": {"name": "write"}})
}

test_role_permits_inherited_permission if {
	authz.role_permits("admin") with input as req({"resource": {"type": "report"}, "action": {"name": "export"}})
}

test_role_permits_only_listed_resource_type if {
	not authz.role_permits("editor") with input as req({"resource": {"type": "report"}})
}

test_role_permits_only_listed_actions if {
	not authz.role_permits("editor") with input as req({"action": {"name": "delete"}})
}

test_grant_names_the_assigned_role if {
	authz.grants == {"role:editor grants document:read"} with input as req({"subject": {"roles": ["editor"]}})
}

test_grant_per_assigned_role if {
	authz.grants == {
		"role:admin grants report:read",
		"role:auditor grants report:read",
	} with input as req({
		"subject": {"roles": ["admin", "auditor", "viewer"]},
		"resource": {"type": "report"},
	})
}

test_no_roles_no_role_grant if {
	authz.grants == set() with input as req({"subject": {"roles": []}})
}

test_unknown_role_grants_nothing if {
	authz.grants == set() with input as req({"subject": {"roles": ["superuser"]}})
}
