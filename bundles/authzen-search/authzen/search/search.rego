# The AuthZEN search scenario (Identiverse 2025) and the IdP scenario: users
# with a role and a department, records with a department and an owner.
package authzen.search

user := data.authzen.search.users[input.subject.id]

record := data.authzen.search.records[input.resource.id]

owner if record.owner == input.subject.id

same_department if record.department == user.department

manager if user.role == "manager"

default allow := false

allow if {
	input.resource.type == "record"
	permitted[input.action.name]
}

permitted["view"] if owner

permitted["view"] if same_department

permitted["view"] if {
	manager
	record
}

permitted["edit"] if owner

permitted["edit"] if {
	manager
	same_department
}

permitted["delete"] if owner
