package authz

default decision := {"allow": false, "reasons": ["no_grant"]}

decision := {"allow": true, "reasons": [sprintf("role:%s", [r]) | some r in sort(granted)]} if count(granted) > 0

granted contains role if {
	some role in input.subject.roles
	some grant in data.authz.grants[role]
	matches(grant.action, input.action.name)
	matches(grant.type, input.resource.type)
}

matches(pattern, _) if pattern == "*"

matches(pattern, value) if pattern == value
