package authz

import rego.v1

# A policy whose answer depends on a few input paths and on data; the
# property test flips the revision's data between evaluations.

decision := {"allow": allow, "reasons": reasons}

default allow := false

allow if {
	some role in input.subject.roles
	role in data.authz.grants[input.action.name]
}

allow if input.resource.attributes.owner == input.subject.id

reasons := [sprintf("level %v", [input.subject.attributes.level])] if input.subject.attributes.level > data.authz.min_level

else := []
