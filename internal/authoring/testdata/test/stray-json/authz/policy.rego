package authz

default decision := {"allow": false, "reasons": ["no_grant"]}

decision := {"allow": true, "reasons": ["viewer_read"]} if {
	input.subject.id != ""
	"viewer" in input.subject.roles
	input.action.name == "read"
}
