package authz

decision := {"allow": false, "reasons": ["closed"]}

decision := {"allow": true} if {
	input.subject.id ==
}
