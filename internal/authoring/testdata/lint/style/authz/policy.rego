package authz

import data.rbac.unused

default decision := {"allow": false, "reasons": ["no_grant"]}

decision := {"allow": true, "reasons": ["admin"]}   if {
	"admin" in input.subject.roles
	x := 1
}
