package authz

default decision := {"allow": true, "reasons": ["open by default"]}

decision := {"allow": false, "reasons": ["blocked"]} if input.subject.id == "mallory"
