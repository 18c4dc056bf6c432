package authz

decision := {"allow": input.subject.id in data.authz.admins, "reasons": ["admins"]}
