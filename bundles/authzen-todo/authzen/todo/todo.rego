# The AuthZEN Todo interop scenario (and its API gateway variant): see
# RULES.md of the conformance data. The PDP is its own PIP: the user
# directory is bundle data, and a subject is resolved by PID or by email.
package authzen.todo

# user is the directory record of the subject: subject.id is a PID (drafts
# 01, 02), else an email (draft 00, whose PID travels as attributes.identity).
user := data.authzen.todo.users[input.subject.id]

user := u if {
	not data.authzen.todo.users[input.subject.id]
	some u in data.authzen.todo.users
	u.email == input.subject.id
}

roles contains role if some role in user.roles

# owner reports whether the subject owns the todo: ownerID is always an email.
owner if user.email == input.resource.attributes.ownerID

default allow := false

# Fine-grained rules of the Todo back end. The scenario lets every
# subject read users and todos.
# lint:ignore allow-without-subject
allow if input.action.name in {"can_read_user", "can_read_todos"}

allow if {
	input.action.name == "can_create_todo"
	roles & {"admin", "editor"} != set()
}

allow if {
	input.action.name == "can_update_todo"
	"evil_genius" in roles
}

allow if {
	input.action.name in {"can_update_todo", "can_delete_todo"}
	"editor" in roles
	owner
}

allow if {
	input.action.name == "can_delete_todo"
	"admin" in roles
}

# Medium-grained rules of the API gateway: action is the HTTP method,
# resource the route template; a gateway lets through whoever might be
# allowed, and the back end decides the rest.
gateway_roles := {
	"GET /users/{userId}": {"*"},
	"GET /todos": {"*"},
	"POST /todos": {"admin", "editor"},
	"PUT /todos/{todoId}": {"evil_genius", "editor"},
	"DELETE /todos/{todoId}": {"admin", "editor"},
}

# Routes open to every subject (the "*" of the scenario).
# lint:ignore allow-without-subject
allow if {
	input.resource.type == "route"
	wanted := gateway_roles[concat(" ", [upper(input.action.name), input.resource.id])]
	"*" in wanted
}

allow if {
	input.resource.type == "route"
	user
	wanted := gateway_roles[concat(" ", [upper(input.action.name), input.resource.id])]
	roles & wanted != set()
}
