package authz

default decision := {"allow": false, "reasons": ["no_grant"]}

# lint:ignore allow-without-subject health checks are public by design
decision := {"allow": true, "reasons": ["health"]} if input.action.name == "health"

decision := {"allow": true, "reasons": ["ping"]} if input.action.name == "ping"
