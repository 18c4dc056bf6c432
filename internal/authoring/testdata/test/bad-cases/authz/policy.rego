package authz

default decision := {"allow": false, "reasons": ["no_grant"]}

decision := {"allow": true, "reasons": ["admin"]} if "admin" in input.subject.roles
