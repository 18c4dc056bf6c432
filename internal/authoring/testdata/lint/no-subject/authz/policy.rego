package authz

default decision := {"allow": false, "reasons": ["no_grant"]}

decision := {"allow": true, "reasons": ["reads are public"]} if input.action.name == "read"

decision := {"allow": true, "reasons": ["admin"]} if "admin" in input.subject.roles

decision := {"allow": true, "reasons": sort(grants)} if count(grants) > 0

grants contains "owner" if input.resource.attributes.owner == input.subject.id

grants contains "public resource" if input.resource.attributes.public == true
