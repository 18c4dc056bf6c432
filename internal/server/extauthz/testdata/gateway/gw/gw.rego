package gw

# Public GETs are allowed and tell the upstream who asked; anonymous calls
# to /private are refused with 401; everything else is a plain deny.
decision := {"allow": true, "obligations": {"headers": {"x-pdp-subject": input.subject.id, "x-route": input.resource.id}}} if {
	input.action.name == "GET"
	startswith(input.resource.id, "/public/")
	input.resource.attributes.headers["x-tenant"] == "acme"
} else := {"allow": false, "obligations": {"status": 401, "headers": {"www-authenticate": "Bearer"}}} if {
	input.subject.type == "anonymous"
	startswith(input.resource.id, "/private/")
} else := false
