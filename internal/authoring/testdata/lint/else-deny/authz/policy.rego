package authz

decision := {"allow": true, "reasons": ["member"]} if {
	input.subject.id != ""
	"member" in input.subject.roles
} else := {"allow": false}
