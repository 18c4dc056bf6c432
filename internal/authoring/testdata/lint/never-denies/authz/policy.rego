package authz

decision := {"allow": true, "reasons": ["member"]} if input.subject.id != ""
