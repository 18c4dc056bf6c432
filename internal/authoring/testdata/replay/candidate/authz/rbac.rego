# Role-based access control: roles carry permissions, and roles inherit
# other roles. The roles live in data, not in code (../data.json):
#
#   data.rbac.roles.editor = {
#     "inherits": ["viewer"],
#     "permissions": [{"resource": "document", "actions": ["write", "share"]}]
#   }
#
# so adding a role or a permission is a data change that needs no new Rego.
package authz

# role_graph is the inheritance graph: each role points at the roles it
# inherits, e.g. {"admin": ["manager", "auditor"], "editor": ["viewer"], ...}.
# object.get supplies [] for a role that declares no "inherits".
role_graph := {role: object.get(def, "inherits", []) |
	some role, def in data.rbac.roles
}

# inherited_roles(role) is the role itself plus every role it inherits,
# directly or through other roles: graph.reachable walks the graph for us
# and copes with cycles. A role that is not in data reaches nothing.
inherited_roles(role) := graph.reachable(role_graph, {role})

# role_permits(role) holds when the role, or a role it inherits, lists the
# requested action on the requested resource type.
role_permits(role) if {
	some held in inherited_roles(role)
	some permission in data.rbac.roles[held].permissions
	permission.resource == input.resource.type
	input.action.name in permission.actions
}

# A grant per role the subject was given (not per inherited role), so the
# reason names a role the caller recognises: an editor reading a document is
# told "role:editor grants document:read", even though the permission is
# written on viewer, which editor inherits.
grants contains sprintf("role:%s grants %s:%s", [role, input.resource.type, input.action.name]) if {
	some role in input.subject.roles
	role_permits(role)
}
