package authz

# A boolean allow rule is checked too, wherever it lives.
allow if input.action.name == "ping"

allow if input.subject.id == "admin"
