package authz

default decision := {"allow": false}

decision := {"allow": true, "reasons": ["admin"]} if "admin" in input.subject.roles
